const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Job, workout, invoice and key ids are UUIDs; anything else is refused before it reaches PostgreSQL's uuid cast. */
export function isUuid(candidate: string): boolean {
  return UUID.test(candidate);
}
