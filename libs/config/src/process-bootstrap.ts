import { BatonConfig } from './baton-config';
import { ConfigError, loadConfig, RequiredVariables } from './load-config';

/** Loads the configuration, or ends the process with exit code 1 and a message naming each bad variable. */
export function loadConfigOrExit(required: RequiredVariables): BatonConfig {
  try {
    return loadConfig(process.env, required);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
