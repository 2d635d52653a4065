/** Who is calling: the API key a request authenticated with. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: readonly string[];
}
