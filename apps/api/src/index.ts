export { ApiModule } from './api.module';
export { createApiApplication } from './api-application';
export { API_APP_OPTIONS, configureHttp, createHttpAdapter } from './http/http-setup';
export { JobRelay } from './jobs/job-relay';
export { describeApi } from './openapi/describe-api';
export { ScheduleTicker } from './schedules/schedule-ticker';
