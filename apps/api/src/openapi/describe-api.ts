import { ModulesContainer, NestFactory } from '@nestjs/core';
import { BatonConfig } from '@baton/config';
import { controllersOf, documentedRoutes, OpenApiDocument } from '@baton/openapi';
import { ApiModule } from '../api.module';
import { apiDocument } from './api-document';

/**
 * The document an API process with `config` serves, made without starting
 * one: Nest's preview mode reads the modules and creates nothing, so no
 * database or broker is needed (for `npm run client:generate`).
 */
export async function describeApi(config: BatonConfig): Promise<OpenApiDocument> {
  const context = await NestFactory.createApplicationContext(ApiModule.forProcess(config), { preview: true, logger: false });
  try {
    return apiDocument(documentedRoutes(controllersOf(context.get(ModulesContainer))));
  } finally {
    await context.close();
  }
}
