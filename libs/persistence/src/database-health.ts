import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

@Injectable()
export class DatabaseHealth {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Resolves when PostgreSQL answers a query through the pool. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
