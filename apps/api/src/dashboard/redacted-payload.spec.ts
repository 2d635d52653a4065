import { REDACTED, redactedPayload } from './redacted-payload';

describe('redactedPayload', () => {
  it('replaces the fields at the paths, and lists those it found', () => {
    const payload = { to: 'a@example.com', data: { name: 'Ada', actionUrl: 'https://app.example.com/reset?token=secret' } };
    const { payload: shown, redacted } = redactedPayload(payload, ['data.actionUrl', 'data.missing', 'nowhere.deep']);
    expect(shown).toEqual({ to: 'a@example.com', data: { name: 'Ada', actionUrl: REDACTED } });
    expect(redacted).toEqual(['data.actionUrl']);
  });

  it('leaves the stored payload untouched', () => {
    const payload = { data: { actionUrl: 'https://x.example/t' } };
    redactedPayload(payload, ['data.actionUrl']);
    expect(payload.data.actionUrl).toBe('https://x.example/t');
  });

  it('does not walk into arrays or past a value that is not an object', () => {
    const payload = { data: ['https://x.example/t'], token: 'plain' };
    expect(redactedPayload(payload, ['data.0', 'token.length']).redacted).toEqual([]);
  });
});
