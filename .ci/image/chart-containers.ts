/**
 * The chart's containers as `docker run` runs them: the rendered pod and
 * container security contexts, volumes, memory limit, environment and args
 * turned into docker's flags, refusing whatever this translation does not
 * know (so that a chart change cannot make the CI run quietly less strict
 * than a cluster).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { K8sObject, podSpecOf } from '../../test/helm/helm';
import { ContainerRun } from '../../test/helm/pods';

const run = promisify(execFile);

/** `docker <args>`; its stdout, or an error carrying its stderr. */
export async function docker(args: string[]): Promise<string> {
  try {
    return (await run('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`docker ${args.slice(0, 2).join(' ')} … failed: ${stderr || stdout || String(error)}`);
  }
}

/** A Kubernetes memory quantity (512Mi, 1Gi, 500M, bytes) in bytes. */
export function memoryBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`unsupported memory quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[match[2] ?? ''] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/**
 * The flags that give a docker container what the pod spec asks of its
 * container: user and group, read-only root, capabilities, no privilege
 * escalation, seccomp, volumes and the memory limit.
 */
export function hardeningFlags(workload: K8sObject, container: any): string[] {
  const pod = podSpecOf(workload);
  const context = { ...(pod.securityContext ?? {}), ...(container.securityContext ?? {}) };
  const where = `${workload.metadata.name}/${container.name}`;
  const flags: string[] = [];
  if (context.runAsUser === undefined || context.runAsGroup === undefined) throw new Error(`${where}: no runAsUser/runAsGroup; the run needs both`);
  if (context.runAsNonRoot && Number(context.runAsUser) === 0) throw new Error(`${where}: runAsNonRoot with runAsUser 0`);
  flags.push('--user', `${context.runAsUser}:${context.runAsGroup}`);
  if (context.fsGroup !== undefined) flags.push('--group-add', String(context.fsGroup));
  if (context.readOnlyRootFilesystem) flags.push('--read-only');
  if (context.privileged) throw new Error(`${where}: privileged containers are not run`);
  for (const capability of context.capabilities?.drop ?? []) flags.push('--cap-drop', capability);
  for (const capability of context.capabilities?.add ?? []) flags.push('--cap-add', capability);
  if (context.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  // RuntimeDefault is what docker applies anyway: its default seccomp profile.
  const seccomp = context.seccompProfile?.type;
  if (seccomp !== undefined && seccomp !== 'RuntimeDefault') throw new Error(`${where}: seccompProfile ${seccomp} is not translated`);
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((candidate: any) => candidate.name === mount.name);
    if (!volume?.emptyDir) throw new Error(`${where}: volume ${mount.name} is not an emptyDir, which is the only kind translated`);
    const size = volume.emptyDir.sizeLimit ? `,size=${memoryBytes(volume.emptyDir.sizeLimit)}` : '';
    flags.push('--tmpfs', `${mount.mountPath}:rw,nosuid,nodev,uid=${context.runAsUser},gid=${context.fsGroup ?? context.runAsGroup}${size}`);
  }
  const memory = container.resources?.limits?.memory;
  if (memory !== undefined) flags.push('--memory', String(memoryBytes(memory)));
  return flags;
}

/**
 * The full `docker run` argument list of a chart container: hardened as
 * above, on the host's network, with `env` and the container's args after
 * the image (its ENTRYPOINT, tini, stays PID 1, as `args:` keeps it).
 */
export function dockerRunArgs(options: { run: ContainerRun; image: string; name: string; label: string; env: Record<string, string>; detach: boolean }): string[] {
  const { run: containerRun, image, name, label, env, detach } = options;
  if (containerRun.container.command) throw new Error(`${name}: the chart sets command, which would replace the image's ENTRYPOINT (tini)`);
  return [
    'run',
    ...(detach ? ['--detach'] : []),
    '--name',
    name,
    '--label',
    label,
    '--network',
    'host',
    ...hardeningFlags(containerRun.workload, containerRun.container),
    ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    image,
    ...(containerRun.container.args ?? []),
  ];
}
