export { BatonConfig, CONFIG_VARIABLES, LOG_LEVELS, LogLevel } from './baton-config';
export { QueueRateLimit } from './config-formats';
export { mailFromProblem, parseSmtpUrl, SmtpEndpoint, smtpUrlProblem } from './mail-settings';
export { ConfigError, ConfigVariable, loadConfig, RequiredVariable, RequiredVariables } from './load-config';
export { ConfigModule } from './config.module';
export { loadConfigOrExit } from './process-bootstrap';
