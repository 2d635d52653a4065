import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BatonConfig } from '@baton/config';
import { ApiModule } from './api.module';
import { API_APP_OPTIONS, configureHttp, createHttpAdapter } from './http/http-setup';

/**
 * The API process's application, routes and HTTP set-up included, not yet
 * listening. `beforeRoutes` sees the Fastify instance before any route is
 * added (a test collecting them with an onRoute hook).
 */
export async function createApiApplication(
  config: BatonConfig,
  logger: LoggerService | false,
  beforeRoutes?: (app: NestFastifyApplication) => void,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forProcess(config), createHttpAdapter(config), { logger, ...API_APP_OPTIONS });
  beforeRoutes?.(app);
  await configureHttp(app, config);
  return app;
}
