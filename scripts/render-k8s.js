#!/usr/bin/env node
'use strict';
/**
 * Renders k8s/baton.yaml, the plain manifests, from the Helm chart with its
 * default values and the fixed release name "baton":
 *
 *   npm run k8s:render
 *
 * test/helm/k8s-manifests.spec.ts renders again and fails when the file
 * differs, so a chart change must be followed by this script.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { unpackHelm, helmEnv } = require('./unpack-helm');

const ROOT = path.join(__dirname, '..');
const OUTPUT = path.join(ROOT, 'k8s', 'baton.yaml');
const RELEASE = 'baton';

const HEADER = `# Baton: plain Kubernetes manifests. GENERATED, do not edit by hand.
#
# Rendered from the Helm chart helm/baton with its default values and the
# release name "${RELEASE}" by \`npm run k8s:render\` (helm template ${RELEASE} helm/baton);
# test/helm/k8s-manifests.spec.ts fails when this file is out of date.
# Objects carry no namespace: apply them with -n.
#
# PLACEHOLDER SECRETS: the Secrets "baton" and "baton-migrate" hold
# DATABASE_URL and RABBITMQ_URL with the password CHANGE-ME. Replace them
# (or delete both Secrets from this file and create "baton" yourself with the
# keys DATABASE_URL and RABBITMQ_URL, and "baton-migrate" with DATABASE_URL).
#
# Order: without Helm the hook annotations below do nothing, so run the
# migrations first, then the rest (re-applying the completed Job is a no-op;
# delete it before applying a new image):
#   kubectl apply -n baton -f k8s/baton.yaml -l app.kubernetes.io/component=migrate
#   kubectl wait -n baton --for=condition=complete job/baton-migrate --timeout=5m
#   kubectl apply -n baton -f k8s/baton.yaml
# k8s/README.md lists what the cluster needs beside Baton.
`;

/** The text of k8s/baton.yaml as the chart renders it now. */
function renderK8sManifests() {
  const manifests = execFileSync(unpackHelm(), ['template', RELEASE, path.join(ROOT, 'helm', 'baton')], {
    env: helmEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return `${HEADER}${manifests}`;
}

module.exports = { renderK8sManifests, OUTPUT };

if (require.main === module) {
  fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
  fs.writeFileSync(OUTPUT, renderK8sManifests());
  process.stdout.write(`wrote ${path.relative(ROOT, OUTPUT)}\n`);
}
