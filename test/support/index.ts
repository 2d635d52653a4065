export * from './env';
export * from './fixtures';
export * from './processes';
export * from './services';
export * from './wait-for';
