export { BatonConfig, CONFIG_VARIABLES, LOG_LEVELS, LogLevel } from './baton-config';
export { ConfigError, ConfigVariable, loadConfig } from './load-config';
export { ConfigModule } from './config.module';
export { loadConfigOrExit } from './process-bootstrap';
