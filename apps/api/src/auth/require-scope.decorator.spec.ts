import 'reflect-metadata';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { API_SCOPES } from '@baton/auth';
import { ApiModule } from '../api.module';
import { REQUIRED_SCOPE } from './require-scope.decorator';
import { isApiRoute } from './api-key-authentication';

/** Every route handler of the API's controllers, with its full path. */
function routes(): Array<{ path: string; handler: object }> {
  const controllers: Array<new (...args: never[]) => object> = Reflect.getMetadata('controllers', ApiModule);
  return controllers.flatMap((controller) => {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    return Object.getOwnPropertyNames(controller.prototype)
      .map((name) => (controller.prototype as Record<string, object>)[name])
      .filter((handler) => typeof handler === 'function' && Reflect.getMetadata(METHOD_METADATA, handler) !== undefined)
      .map((handler) => ({ path: `/${base}/${String(Reflect.getMetadata(PATH_METADATA, handler))}`.replace(/\/+$/, '').replace(/\/\/+/g, '/'), handler }));
  });
}

describe('RequireScope', () => {
  it('is declared, with a known scope, on every /v1 route of the API', () => {
    const found = routes();
    expect(found.length).toBeGreaterThanOrEqual(6);
    for (const { path, handler } of found) {
      expect(isApiRoute(path)).toBe(true);
      expect({ path, scope: API_SCOPES.includes(Reflect.getMetadata(REQUIRED_SCOPE, handler)) }).toEqual({ path, scope: true });
    }
  });
});

describe(isApiRoute.name, () => {
  it.each(['/v1', '/v1/jobs/:jobId', '/v1/workouts', '/v1?x=1'])('needs a key for %s', (url) => expect(isApiRoute(url)).toBe(true));
  it.each(['/health/ready', '/metrics', '/v10/jobs', '/', '/*'])('leaves %s open', (url) => expect(isApiRoute(url)).toBe(false));
});
