/**
 * Validates rendered objects against the Kubernetes API schemas that
 * kubernetes-models (and @kubernetes-models/keda, .../prometheus-operator for
 * the CRDs) compile from the OpenAPI specs, strictly: an unknown field fails,
 * as `kubectl apply --validate=strict` would.
 *
 * The compiled validators check types, enums and required fields but, like
 * the OpenAPI specs, do not forbid unknown properties. So the object is
 * handed to the validator behind a Proxy that records which properties the
 * schema reads: a validator reads every property its schema declares, and
 * enumerates the keys of a map (labels, resources.limits, a KEDA trigger's
 * metadata). A key that was neither read nor enumerated is not in the schema.
 */
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { K8sObject } from './helm';

interface Validatable {
  prototype: { validate(): void };
}

const MODELS: Record<string, Validatable> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

interface Visit {
  path: string;
  target: object;
  read: Set<string>;
  enumerated: boolean;
}

function watched(target: object, path: string, visits: Visit[]): object {
  const visit: Visit = { path, target, read: new Set(), enumerated: false };
  visits.push(visit);
  const children = new Map<string, object>();
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof key !== 'string') return value;
      visit.read.add(key);
      if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(object, key)) return value;
      if (!children.has(key)) children.set(key, watched(value, `${path}/${key}`, visits));
      return children.get(key);
    },
    has(object, key) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.has(object, key);
    },
    getOwnPropertyDescriptor(object, key) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.getOwnPropertyDescriptor(object, key);
    },
    ownKeys(object) {
      visit.enumerated = true;
      return Reflect.ownKeys(object);
    },
  });
}

/** Throws when `object` does not match its kind's schema or has a field the schema does not know. */
export function validateStrictly(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = MODELS[key];
  if (!model) throw new Error(`no schema for ${key} (${object.metadata?.name}): add its model to test/helm/kube-schema.ts`);
  const visits: Visit[] = [];
  const proxy = watched(object, '', visits);
  try {
    model.prototype.validate.call(proxy);
  } catch (error) {
    throw new Error(`${key} ${object.metadata?.name}: ${(error as Error).message}`);
  }
  const unknown = visits.flatMap((visit) =>
    Array.isArray(visit.target) || visit.enumerated
      ? []
      : Object.keys(visit.target)
          .filter((field) => !visit.read.has(field))
          .map((field) => `${visit.path}/${field}`),
  );
  if (unknown.length > 0) throw new Error(`${key} ${object.metadata?.name}: unknown field(s) ${unknown.join(', ')}`);
}
