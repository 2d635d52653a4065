import { API_SCOPES, ApiScope, DEFAULT_SCOPES, grantsScope, isApiScope } from './api-scope';

describe(grantsScope.name, () => {
  it.each(API_SCOPES.filter((scope) => scope !== ApiScope.Operator))('admin grants %s', (required) => {
    expect(grantsScope([ApiScope.Admin], required)).toBe(true);
  });

  it('admin does not grant operator: the operations across tenants', () => {
    expect(grantsScope([ApiScope.Admin], ApiScope.Operator)).toBe(false);
  });

  it.each(API_SCOPES)('operator grants %s', (required) => {
    expect(grantsScope([ApiScope.Operator], required)).toBe(true);
  });

  it.each(API_SCOPES)('a key grants %s when it holds it', (required) => {
    expect(grantsScope([required], required)).toBe(true);
  });

  it('jobs:read does not grant jobs:write, nor admin', () => {
    expect(grantsScope([ApiScope.JobsRead], ApiScope.JobsWrite)).toBe(false);
    expect(grantsScope([ApiScope.JobsRead], ApiScope.Admin)).toBe(false);
  });

  it('jobs:write does not grant jobs:read, nor admin', () => {
    expect(grantsScope([ApiScope.JobsWrite], ApiScope.JobsRead)).toBe(false);
    expect(grantsScope([ApiScope.JobsWrite], ApiScope.Admin)).toBe(false);
  });

  it('the default scopes grant jobs:write and jobs:read, not admin', () => {
    expect(grantsScope(DEFAULT_SCOPES, ApiScope.JobsWrite)).toBe(true);
    expect(grantsScope(DEFAULT_SCOPES, ApiScope.JobsRead)).toBe(true);
    expect(grantsScope(DEFAULT_SCOPES, ApiScope.Admin)).toBe(false);
  });

  it('no scope grants nothing, and unknown scopes grant nothing', () => {
    for (const required of API_SCOPES) {
      expect(grantsScope([], required)).toBe(false);
      expect(grantsScope(['ADMIN', 'jobs:*', 'root'], required)).toBe(false);
    }
  });
});

describe(isApiScope.name, () => {
  it.each(['jobs:write', 'jobs:read', 'admin', 'operator'])('accepts %s', (candidate) => {
    expect(isApiScope(candidate)).toBe(true);
  });

  it.each(['', 'Admin', 'ADMIN', 'jobs', 'jobs:*', 'jobs:write ', ' admin', 'jobs:delete', 'JobsWrite'])('refuses %j', (candidate) => {
    expect(isApiScope(candidate)).toBe(false);
  });

  it('accepts exactly API_SCOPES', () => {
    expect([...API_SCOPES].sort()).toEqual(['admin', 'jobs:read', 'jobs:write', 'operator']);
    expect(API_SCOPES.every(isApiScope)).toBe(true);
  });
});

describe('DEFAULT_SCOPES', () => {
  it('is jobs:write and jobs:read', () => {
    expect(DEFAULT_SCOPES).toEqual([ApiScope.JobsWrite, ApiScope.JobsRead]);
  });
});
