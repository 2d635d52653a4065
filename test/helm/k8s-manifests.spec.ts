/**
 * k8s/baton.yaml is the chart rendered with its defaults; it must stay what
 * `npm run k8s:render` writes. The example dependencies must match the
 * chart's default connection strings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helmBinary, ofKind, parseManifests, ROOT, template } from './helm';
import { validateStrictly } from './kube-schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderK8sManifests, OUTPUT } = require('../../scripts/render-k8s') as { renderK8sManifests(): string; OUTPUT: string };

describe('k8s/baton.yaml', () => {
  const committed = readFileSync(join(ROOT, 'k8s', 'baton.yaml'), 'utf8');

  beforeAll(() => {
    helmBinary();
  });

  it('is written where the render script writes', () => {
    expect(OUTPUT).toBe(join(ROOT, 'k8s', 'baton.yaml'));
  });

  it('equals a fresh render of the chart with its default values (run `npm run k8s:render` after changing the chart)', () => {
    expect(committed).toBe(renderK8sManifests());
  });

  it('says how it was generated and holds the same objects as `helm template baton helm/baton`', async () => {
    expect(committed.startsWith('# Baton: plain Kubernetes manifests. GENERATED')).toBe(true);
    expect(committed).toContain('npm run k8s:render');
    const objects = parseManifests(committed);
    expect(objects).toEqual(await template({ release: 'baton' }));
    for (const object of objects) validateStrictly(object);
  });

  it('marks its placeholder credentials', () => {
    const objects = parseManifests(committed);
    const secrets = ofKind(objects, 'Secret');
    expect(secrets.map((secret) => secret.metadata.name).sort()).toEqual(['baton', 'baton-migrate']);
    for (const secret of secrets) for (const value of Object.values(secret.stringData as Record<string, string>)) expect(value).toContain('CHANGE-ME');
    expect(committed).toMatch(/PLACEHOLDER SECRETS/);
    expect(committed.match(/# PLACEHOLDER credentials \(CHANGE-ME\)/g)).toHaveLength(2);
  });
});

describe('k8s/dependencies', () => {
  const read = (file: string) => parseManifests(readFileSync(join(ROOT, 'k8s', 'dependencies', file), 'utf8'));

  it('holds a 3-node RabbitmqCluster with the vhost, user and permissions the default RABBITMQ_URL names', async () => {
    const objects = read('rabbitmq.yaml');
    const [cluster] = ofKind(objects, 'RabbitmqCluster');
    expect(cluster.spec.replicas).toBe(3);
    const [secret] = ofKind(await template(), 'Secret');
    const url = new URL(secret.stringData.RABBITMQ_URL);
    expect(url.hostname).toBe(cluster.metadata.name);
    const vhost = decodeURIComponent(url.pathname.slice(1));
    expect(ofKind(objects, 'Vhost')[0].spec.name).toBe(vhost);
    const [permission] = ofKind(objects, 'Permission');
    expect(permission.spec).toEqual(expect.objectContaining({ vhost, permissions: { configure: '.*', write: '.*', read: '.*' } }));
    const [user] = ofKind(objects, 'User');
    expect(ofKind(objects, 'Secret').find((candidate) => candidate.metadata.name === user.spec.importCredentialsSecret.name)?.stringData.username).toBe(url.username);
  });

  it('holds a PostgreSQL cluster whose read-write Service and database the default DATABASE_URL names', async () => {
    const [cluster] = ofKind(read('postgresql.yaml'), 'Cluster');
    expect(cluster.spec.instances).toBe(3);
    const [secret] = ofKind(await template(), 'Secret');
    const url = new URL(secret.stringData.DATABASE_URL);
    expect(url.hostname).toBe(`${cluster.metadata.name}-rw`);
    expect(url.pathname).toBe(`/${cluster.spec.bootstrap.initdb.database}`);
    expect(url.username).toBe(cluster.spec.bootstrap.initdb.owner);
  });
});
