export { HealthOptions, LIVE_PATH, READY_PATH, ReadinessCheck, serveHealth } from './health-endpoints';
