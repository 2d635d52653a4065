import { Module } from '@nestjs/common';
import { ApiKeyService } from './api-key.service';

/** API keys for a process that has the persistence module. */
@Module({ providers: [ApiKeyService], exports: [ApiKeyService] })
export class AuthModule {}
