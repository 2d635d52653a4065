export { backoffDelay, sleep } from './backoff';
