import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An API key: only its SHA-256 hash is kept, never the key itself. */
@Entity({ name: 'api_keys' })
@Index('api_keys_key_hash_uq', ['keyHash'], { unique: true })
export class ApiKeyEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'api_keys_pkey' })
  id: string;

  @Column('text')
  tenant: string;

  /** What the key is for, as its creator described it. */
  @Column('text', { nullable: true })
  name: string | null;

  @Column('text', { array: true })
  scopes: string[];

  /** Hex SHA-256 of the key: keys are random and long, so a fast hash is as safe as a slow one. */
  @Column('text', { name: 'key_hash' })
  keyHash: string;

  /** The key's first characters, enough to recognise it in a list without revealing it. */
  @Column('text', { name: 'key_prefix' })
  keyPrefix: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
