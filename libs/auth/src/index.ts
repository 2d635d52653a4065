export { API_KEY_PREFIX, bearerToken, generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key';
export { API_SCOPES, ApiScope, DEFAULT_SCOPES, grantsScope, isApiScope } from './api-scope';
export { ApiKeyCache, ApiKeyCacheOptions } from './api-key-cache';
export { ApiKeyInputError, ApiKeyService, ApiKeySpec, CreatedApiKey } from './api-key.service';
export { AuthModule } from './auth.module';
export { Principal } from './principal';
