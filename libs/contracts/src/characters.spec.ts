import { validate } from 'class-validator';
import { Characters, characterCount } from './characters';

class Named {
  @Characters(1, 5)
  name: unknown;
}

async function messages(name: unknown): Promise<string[]> {
  const errors = await validate(Object.assign(new Named(), { name }));
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(Characters.name, () => {
  it.each<[string, unknown, string[]]>([
    ['five letters', 'abcde', []],
    ['one letter', 'a', []],
    ['five letters, one outside the BMP', 'abcd😀', []],
    ['five code points: three letters, a heart and its variation selector', 'abc\u2764\ufe0f', []],
    ['six code points that class-validator counts as five (a variation selector)', 'abcd\u2764\ufe0f', ['name must be shorter than or equal to 5 characters']],
    ['six letters', 'abcdef', ['name must be shorter than or equal to 5 characters']],
    ['an empty string', '', ['name must be longer than or equal to 1 characters']],
    ['a number', 12345, ['name must be a string of 1 to 5 characters']],
  ])('%s', async (_, value, expected) => {
    expect(await messages(value)).toEqual(expected);
  });

  it('counts code points, as a PostgreSQL varchar does', () => {
    expect(characterCount('Zoë')).toBe(3);
    expect(characterCount('Zoe\u0308')).toBe(4);
    expect(characterCount('😀')).toBe(1);
    expect(characterCount('\u2764\ufe0f')).toBe(2);
  });
});
