import { DynamicModule, Global, Module } from '@nestjs/common';
import { BatonConfig } from './baton-config';

/** Makes the validated configuration injectable as `BatonConfig` everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: BatonConfig, useValue: config }], exports: [BatonConfig] };
  }
}
