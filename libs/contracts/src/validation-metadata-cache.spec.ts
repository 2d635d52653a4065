import { IsInt, IsString, MetadataStorage, Min, registerDecorator, validate, ValidationError } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

const messages = (errors: ValidationError[]) => errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? {}).join(', ')}`);

describe('cacheValidationMetadata', () => {
  class Base {
    @IsString()
    name!: unknown;
  }
  class Child extends Base {
    @IsInt()
    @Min(1)
    count!: unknown;
  }

  // The same storage validate() reads, with the cache on it (as @baton/contracts installs it).
  beforeAll(() => cacheValidationMetadata());

  it('answers a class with its own rules and its ancestors', async () => {
    expect(messages(await validate(Object.assign(new Child(), { name: 7, count: 0 })))).toEqual([
      'count: count must not be less than 1',
      'name: name must be a string',
    ]);
    expect(await validate(Object.assign(new Child(), { name: 'a', count: 2 }))).toEqual([]);
  });

  it('gives the same errors on every call, whitelist included', async () => {
    const options = { whitelist: true, forbidNonWhitelisted: true };
    const first = messages(await validate(Object.assign(new Child(), { name: 1, count: 'x', extra: true }), options));
    for (let round = 0; round < 3; round++) {
      expect(messages(await validate(Object.assign(new Child(), { name: 1, count: 'x', extra: true }), options))).toEqual(first);
    }
    expect(first).toContain('extra: property extra should not exist');
  });

  it('keeps the rules of different options apart (groups)', async () => {
    class Grouped {
      @IsString({ groups: ['strict'] })
      label!: unknown;
    }
    const value = Object.assign(new Grouped(), { label: 3 });
    expect(messages(await validate(value, { groups: ['strict'] }))).toEqual(['label: label must be a string']);
    expect(await validate(value, { groups: ['other'], forbidUnknownValues: false })).toEqual([]);
    expect(messages(await validate(value, { groups: ['strict'] }))).toEqual(['label: label must be a string']);
  });

  it('sees a rule added after a class was validated', async () => {
    class Late {
      @IsString()
      code!: unknown;
    }
    const value = Object.assign(new Late(), { code: 'ab' });
    expect(await validate(value)).toEqual([]);
    registerDecorator({
      name: 'isUpperCase',
      target: Late,
      propertyName: 'code',
      validator: { validate: (code: unknown) => typeof code === 'string' && code === code.toUpperCase(), defaultMessage: () => 'code must be upper case' },
    });
    expect(messages(await validate(value))).toEqual(['code: code must be upper case']);
  });

  it('is installed once however often it is called', () => {
    const storage = new MetadataStorage();
    cacheValidationMetadata(storage);
    const cached = storage.getTargetValidationMetadatas;
    cacheValidationMetadata(storage);
    expect(storage.getTargetValidationMetadatas).toBe(cached);
  });
});
