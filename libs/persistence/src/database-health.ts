import { Inject, Injectable } from '@nestjs/common';
import { connected } from './database-connector';
import { DataSource } from 'typeorm';

@Injectable()
export class DatabaseHealth {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Resolves when PostgreSQL answers a query through the pool. */
  async ping(): Promise<void> {
    await connected(this.dataSource).query('SELECT 1');
  }
}
