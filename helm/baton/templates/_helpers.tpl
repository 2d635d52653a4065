{{/*
baton.name: the chart's name (or nameOverride), cut to 63 characters, the
longest a label value or a DNS label may be.
*/}}
{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
baton.truncate: cuts a resource name to 63 characters. A name that is cut
keeps its first 54 characters and gets 8 characters of the full name's
sha256 instead, so two long release names that share a prefix still give
two different names in one namespace.
*/}}
{{- define "baton.truncate" -}}
{{- if gt (len .) 63 -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/*
baton.fullname: the release's base name for every object: fullnameOverride,
or the release name when it already contains the chart name, or
"<release>-<chart>". Truncated with baton.truncate.
*/}}
{{- define "baton.fullname" -}}
{{- $name := "" -}}
{{- if .Values.fullnameOverride -}}
{{- $name = .Values.fullnameOverride -}}
{{- else if contains (include "baton.name" .) .Release.Name -}}
{{- $name = .Release.Name -}}
{{- else -}}
{{- $name = printf "%s-%s" .Release.Name (include "baton.name" .) -}}
{{- end -}}
{{- include "baton.truncate" ($name | trimSuffix "-") -}}
{{- end -}}

{{/*
baton.componentName: the name of one component's objects, "<fullname>-<component>"
(component: api, worker-<group>, migrate, rabbitmq). When that is longer than
63 characters the fullname part is cut and 8 characters of the whole name's
sha256 are put before the component, which stays readable and whole.
Called with (dict "root" $ "component" "api").
*/}}
{{- define "baton.componentName" -}}
{{- $fullname := include "baton.fullname" .root -}}
{{- $name := printf "%s-%s" $fullname .component -}}
{{- if gt (len $name) 63 -}}
{{- $keep := int (sub 63 (add (len .component) 10)) -}}
{{- printf "%s-%s-%s" (trunc $keep $fullname | trimSuffix "-") (sha256sum $name | trunc 8) .component -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{/*
baton.chart: "<chart>-<version>" for the helm.sh/chart label.
*/}}
{{- define "baton.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
baton.selectorLabels: the labels a component's selectors match on (a subset
of baton.labels): name, instance and component, so that two releases, or two
components of one release, never select each other's pods. They must never
change for an installed release (a Deployment's selector is immutable).
Called with (dict "root" $ "component" "api").
*/}}
{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
baton.labels: the recommended labels of every object of a component.
Called with (dict "root" $ "component" "api").
*/}}
{{- define "baton.labels" -}}
{{ include "baton.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | toString | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: {{ include "baton.name" .root }}
helm.sh/chart: {{ include "baton.chart" .root }}
{{- end -}}

{{/*
baton.serviceAccountName: the ServiceAccount the API and worker pods run as.
*/}}
{{- define "baton.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "baton.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
baton.secretName: the Secret holding DATABASE_URL and RABBITMQ_URL: the
chart's own, or secret.existingSecret.
*/}}
{{- define "baton.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else -}}
{{- include "baton.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
baton.image: "<repository>:<tag>" (tag defaults to the chart's appVersion),
or "<repository>@<digest>" when a digest is given.
*/}}
{{- define "baton.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/*
baton.podAnnotations: checksum/config and checksum/secret, so that pods roll
when the settings or the credentials change, plus podAnnotations. With an
existing Secret the chart cannot see its content: the checksum then covers
its name and keys only (roll by hand, or with a reloader, when it changes).
*/}}
{{- define "baton.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.secret.existingSecret }}
{{- $secret := .Values.secret }}
checksum/secret: {{ compact (list $secret.existingSecret $secret.databaseUrlKey $secret.rabbitmqUrlKey $secret.databaseReadUrlKey $secret.rabbitmqUrlsKey) | join "/" | sha256sum }}
{{- else }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
baton.secretEnv: DATABASE_URL and RABBITMQ_URL from the Secret, by key, and
RABBITMQ_URLS when the chart's Secret (rabbitmq.urls) or the existing one
(secret.rabbitmqUrlsKey) holds the cluster's nodes.
*/}}
{{- define "baton.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.secretName" . }}
      key: {{ .Values.secret.databaseUrlKey }}
- name: RABBITMQ_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.secretName" . }}
      key: {{ .Values.secret.rabbitmqUrlKey }}
{{- $nodesKey := ternary .Values.secret.rabbitmqUrlsKey (ternary "RABBITMQ_URLS" "" (not (empty .Values.rabbitmq.urls))) (not (empty .Values.secret.existingSecret)) }}
{{- if $nodesKey }}
# The cluster's nodes, tried in turn (docs/operations.md).
- name: RABBITMQ_URLS
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.secretName" . }}
      key: {{ $nodesKey }}
{{- end }}
{{- end -}}

{{/*
baton.readReplicaEnv: the API's DATABASE_READ_URL, from the chart's Secret
(database.readUrl) or from the existing one (secret.databaseReadUrlKey), and
DATABASE_READ_MIN_AGE_MS with it; nothing without read replicas.
*/}}
{{- define "baton.readReplicaEnv" -}}
{{- $key := ternary .Values.secret.databaseReadUrlKey (ternary "DATABASE_READ_URL" "" (not (empty .Values.database.readUrl))) (not (empty .Values.secret.existingSecret)) -}}
{{- if $key }}
# The hot reads go to the replicas (docs/read-replicas.md); a Secret, as
# the URLs may hold passwords.
- name: DATABASE_READ_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.secretName" . }}
      key: {{ $key }}
- name: DATABASE_READ_MIN_AGE_MS
  value: {{ .Values.database.readMinAgeMs | int64 | quote }}
{{- end }}
{{- end -}}

{{/*
baton.probes: startup, liveness and readiness probes on the paths Baton
serves (libs/health: /health/live answers while the event loop does and never
fails for a dependency; /health/ready checks PostgreSQL and RabbitMQ), on the
named container port. Startup and liveness use /health/live so that a pod
whose dependency is away is held out of Service endpoints, not restarted.
Called with (dict "root" $ "port" "http").
*/}}
{{- define "baton.probes" -}}
{{- $probes := .root.Values.probes -}}
startupProbe:
  httpGet:
    path: /health/live
    port: {{ .port }}
  periodSeconds: {{ $probes.startup.periodSeconds }}
  timeoutSeconds: {{ $probes.startup.timeoutSeconds }}
  failureThreshold: {{ $probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: {{ .port }}
  periodSeconds: {{ $probes.liveness.periodSeconds }}
  timeoutSeconds: {{ $probes.liveness.timeoutSeconds }}
  failureThreshold: {{ $probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: {{ .port }}
  periodSeconds: {{ $probes.readiness.periodSeconds }}
  timeoutSeconds: {{ $probes.readiness.timeoutSeconds }}
  failureThreshold: {{ $probes.readiness.failureThreshold }}
  successThreshold: 1
{{- end -}}

{{/*
baton.podScheduling: nodeSelector, tolerations and affinity shared by every pod.
*/}}
{{- define "baton.podScheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
baton.podSecurity: pod-level fields shared by every pod: the ServiceAccount
name is left to the caller; no token is mounted (Baton never calls the
Kubernetes API), the hardened pod security context, pull secrets.
*/}}
{{- define "baton.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
baton.jobTypes: every job type Baton has, as a JSON list. Each is also the
name of its queue and of its API route (POST /v1/<type>). It must equal
JOB_TYPES of libs/contracts/src/job-type.ts and the jobType enum of
values.schema.json; test/helm/chart.spec.ts compares the three. Read it with
(include "baton.jobTypes" . | fromJsonArray).
*/}}
{{- define "baton.jobTypes" -}}
{{- list "workouts" "invoices" "emails" | toJson -}}
{{- end -}}

{{/*
baton.workerQueues: every queue a worker group may consume, as a JSON list:
the job types (baton.jobTypes) and webhooks, the webhook deliveries the
API's relay publishes when they are due. It must equal WORKER_QUEUE_NAMES of
libs/contracts/src/worker-queue.ts and the workerQueue enum of
values.schema.json; test/helm/chart.spec.ts compares the three. Read it with
(include "baton.workerQueues" . | fromJsonArray).
*/}}
{{- define "baton.workerQueues" -}}
{{- append (include "baton.jobTypes" . | fromJsonArray) "webhooks" | toJson -}}
{{- end -}}

{{/*
baton.seriesSelector: PromQL label matchers for the release's series, shared
by the alerts, and by the KEDA prometheus trigger's default query:
metrics.prometheusRule.selector, or the release's namespace and the jobs its
ServiceMonitors name (the Prometheus Operator's job label is the Service's
name: the API's and each worker group's, listed, since a long name is cut).
*/}}
{{- define "baton.seriesSelector" -}}
{{- with .Values.metrics.prometheusRule.selector -}}
{{- . -}}
{{- else -}}
{{- $root := . -}}
{{- $jobs := list (include "baton.componentName" (dict "root" $root "component" "api")) -}}
{{- range $name, $_ := include "baton.workers" $root | fromYaml -}}
{{- $jobs = append $jobs (include "baton.componentName" (dict "root" $root "component" (printf "worker-%s" $name))) -}}
{{- end -}}
namespace="{{ .Release.Namespace }}",job=~"{{ join "|" $jobs }}"
{{- end -}}
{{- end -}}

{{/*
baton.oldestPendingQuery: the default query of a worker group's KEDA
prometheus trigger: the age of the oldest waiting job over the group's job
types' queues, max over the API replicas (one reports it), leaving out a
queue an operator paused (its jobs wait on purpose: no pod is added for
them). Empty when the
group consumes no job type. Called with (dict "root" $ "worker" $worker).
*/}}
{{- define "baton.oldestPendingQuery" -}}
{{- $types := include "baton.jobTypes" .root | fromJsonArray -}}
{{- $queues := list -}}
{{- range .worker.queues -}}
{{- if has . $types -}}
{{- $queues = append $queues . -}}
{{- end -}}
{{- end -}}
{{- if $queues -}}
max(baton_queue_oldest_pending_seconds{ {{- include "baton.seriesSelector" .root -}} ,queue=~"{{ join "|" $queues }}"} unless on(queue) (max by (queue) (baton_queue_paused{ {{- include "baton.seriesSelector" .root -}} }) == 1))
{{- end -}}
{{- end -}}

{{/*
baton.disabledJobTypes: the job types the API refuses (its
DISABLED_JOB_TYPES), as a JSON list: emails unless emails.enabled, since
sending needs a mail server. Read it with
(include "baton.disabledJobTypes" . | fromJsonArray).
*/}}
{{- define "baton.disabledJobTypes" -}}
{{- $disabled := list -}}
{{- if not .Values.emails.enabled -}}
{{- $disabled = append $disabled "emails" -}}
{{- end -}}
{{- toJson $disabled -}}
{{- end -}}

{{/*
baton.disabledQueues: the queues no worker group may consume, as a JSON
list: the job types the API refuses (baton.disabledJobTypes), and webhooks
unless webhooks.enabled, which keeps every pod off the internet. The API
has no switch for webhooks (DISABLED_JOB_TYPES names job types only): it
still accepts endpoints, and their deliveries wait in the webhooks queue.
Read it with (include "baton.disabledQueues" . | fromJsonArray).
*/}}
{{- define "baton.disabledQueues" -}}
{{- $disabled := include "baton.disabledJobTypes" . | fromJsonArray -}}
{{- if not .Values.webhooks.enabled -}}
{{- $disabled = append $disabled "webhooks" -}}
{{- end -}}
{{- toJson $disabled -}}
{{- end -}}

{{/*
baton.configuredWorkers: the entries of workers that are neither null nor
enabled: false, each merged over workerDefaults, as a YAML map from group
name to settings, whatever job types they consume. Templates render
baton.workers, which filters it; NOTES.txt names the groups left out.
*/}}
{{- define "baton.configuredWorkers" -}}
{{- $groups := dict -}}
{{- range $name, $group := .Values.workers -}}
{{- if $group -}}
{{- $merged := mergeOverwrite (deepCopy $.Values.workerDefaults) (deepCopy $group) -}}
{{- if $merged.enabled -}}
{{- $_ := set $groups $name $merged -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $groups -}}
{{- end -}}

{{/*
baton.workers: the worker groups the chart renders: those of
baton.configuredWorkers, less any whose queues are all disabled
(baton.disabledQueues). Such a group would have nothing to do, since the
API refuses those jobs, or must not run (the emails worker could not start
without SMTP_URL and MAIL_FROM; webhooks.enabled=false keeps deliveries
off the internet): so the default emails group renders only with
emails.enabled, and the default webhooks group only with webhooks.enabled.
A group that mixes a disabled queue with others is refused by
baton.validate. Templates read it with (include "baton.workers" . | fromYaml).
*/}}
{{- define "baton.workers" -}}
{{- $disabled := include "baton.disabledQueues" . | fromJsonArray -}}
{{- $groups := dict -}}
{{- range $name, $group := include "baton.configuredWorkers" . | fromYaml -}}
{{- $active := list -}}
{{- range $group.queues }}{{ if not (has . $disabled) }}{{ $active = append $active . }}{{ end }}{{ end -}}
{{- /* A group without queues stays, for baton.validate to refuse. */ -}}
{{- if or $active (not $group.queues) -}}
{{- $_ := set $groups $name $group -}}
{{- end -}}
{{- end -}}
{{- toYaml $groups -}}
{{- end -}}

{{/*
baton.workerRateLimits: the WORKER_RATE_LIMITS of one worker group
("emails=10/s"), empty when none of its queues is limited. Only the emails
queue has a limit, emails.rateLimit. The worker applies a queue's limit to
every replica of every group consuming that queue together (one Redis key
per queue), so a limit belongs to the queue, not to a group.
Called with (dict "root" $ "worker" $worker).
*/}}
{{- define "baton.workerRateLimits" -}}
{{- $emails := .root.Values.emails -}}
{{- $limits := list -}}
{{- if and $emails.enabled $emails.rateLimit (has "emails" .worker.queues) -}}
{{- $limits = append $limits (printf "emails=%s" $emails.rateLimit) -}}
{{- end -}}
{{- join "," $limits -}}
{{- end -}}

{{/*
baton.readCacheOn: "true" when the API caches finished reads in Redis:
readCache.enabled, and a Redis to keep them in (rateLimit.redis); else empty.
*/}}
{{- define "baton.readCacheOn" -}}
{{- if and .Values.readCache.enabled .Values.rateLimit.redis.existingSecret -}}true{{- end -}}
{{- end -}}

{{/*
baton.workerUsesRedis: "true" when a worker group gets REDIS_URL: for its
queue rate limits (baton.workerRateLimits), or, with the read cache on, to
drop the cached reads of the jobs its retention sweep deletes (a group that
consumes a job type: a webhooks-only group sweeps nothing); else empty.
Called with (dict "root" $ "worker" $worker).
*/}}
{{- define "baton.workerUsesRedis" -}}
{{- if .root.Values.rateLimit.redis.existingSecret -}}
{{- $sweeps := gt (len (without .worker.queues "webhooks")) 0 -}}
{{- if or (include "baton.workerRateLimits" .) (and (include "baton.readCacheOn" .root) $sweeps) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/*
baton.readCacheEnv: the READ_CACHE_* variables of a pod with REDIS_URL, the
same in the API and every worker group (the workers drop the API's keys):
READ_CACHE_TTL_SEC 0 (off) without readCache.enabled, READ_CACHE_PREFIX
readCache.keyPrefix or the release's full name, so that two releases
sharing one Redis keep apart.
*/}}
{{- define "baton.readCacheEnv" -}}
- name: READ_CACHE_TTL_SEC
  value: {{ ternary (.Values.readCache.ttlSec | int64) 0 .Values.readCache.enabled | quote }}
- name: READ_CACHE_PREFIX
  value: {{ .Values.readCache.keyPrefix | default (include "baton.fullname" .) | quote }}
- name: READ_CACHE_TIMEOUT_MS
  value: {{ .Values.readCache.timeoutMs | int64 | quote }}
{{- end -}}

{{/*
baton.smtpSecretName: the Secret holding SMTP_URL: emails.smtp.existingSecret,
or the chart's own "<fullname>-smtp" (templates/emails/secret.yaml) written
from emails.smtp.url.
*/}}
{{- define "baton.smtpSecretName" -}}
{{- if .Values.emails.smtp.existingSecret -}}
{{- .Values.emails.smtp.existingSecret -}}
{{- else -}}
{{- include "baton.componentName" (dict "root" . "component" "smtp") -}}
{{- end -}}
{{- end -}}

{{/*
baton.smtpSecretKey: the key of SMTP_URL in baton.smtpSecretName:
emails.smtp.secretKey in an existing Secret, SMTP_URL in the chart's own.
*/}}
{{- define "baton.smtpSecretKey" -}}
{{- if .Values.emails.smtp.existingSecret -}}
{{- .Values.emails.smtp.secretKey -}}
{{- else -}}
SMTP_URL
{{- end -}}
{{- end -}}

{{/*
baton.smtpChecksum: checksum/smtp of the pods that send emails, so that
they, and only they, roll when the mail server changes: of the chart's
Secret, or of an existing Secret's name and key (its content the chart
cannot see).
*/}}
{{- define "baton.smtpChecksum" -}}
{{- if .Values.emails.smtp.existingSecret -}}
{{- printf "%s/%s" .Values.emails.smtp.existingSecret .Values.emails.smtp.secretKey | sha256sum -}}
{{- else -}}
{{- include (print .Template.BasePath "/emails/secret.yaml") . | sha256sum -}}
{{- end -}}
{{- end -}}

{{/*
baton.smtpUrlPattern: what baton.validate accepts in emails.smtp.url, as the
worker does (libs/jobs/src/emails/mail-settings.ts): smtp:// or smtps://, an
optional user:password@, a host, an optional port, then nothing but an
optional "/" (no path, query or fragment). A "/", "?" or "#" in the
credentials must be percent-encoded. Group 1 is the host and the port.
*/}}
{{- define "baton.smtpUrlPattern" -}}
^smtps?://(?:[^\s/?#]*@)?([^\s/?#@:][^\s/?#@]*)/?$
{{- end -}}

{{/*
baton.smtpPort: the TCP port the emails workers connect to, for their
NetworkPolicy egress: the port of emails.smtp.url, or when it names none the
worker's default (465 for smtps://, 587 for smtp://); with
emails.smtp.existingSecret, whose URL the chart cannot read,
emails.smtp.port. Parsed by regular expression, not urlParse, whose errors
would print the URL and its password.
*/}}
{{- define "baton.smtpPort" -}}
{{- $smtp := .Values.emails.smtp -}}
{{- if $smtp.url -}}
{{- $hostPort := regexReplaceAll (include "baton.smtpUrlPattern" .) $smtp.url "${1}" -}}
{{- $port := regexFind ":[0-9]+$" $hostPort | trimPrefix ":" -}}
{{- if $port -}}
{{- int $port -}}
{{- else if hasPrefix "smtps:" $smtp.url -}}
465
{{- else -}}
587
{{- end -}}
{{- else -}}
{{- int $smtp.port -}}
{{- end -}}
{{- end -}}

{{/*
baton.webhookEnv: the WEBHOOK_* variables of a container, from webhooks:
for the API (delivers false) those it reads when an endpoint is registered
or its secret rotated: WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_HOSTS (omitted
when empty) and WEBHOOK_SECRET_GRACE_SEC; for a worker group that consumes
webhooks (delivers true) WEBHOOK_RETRY_SCHEDULE_SEC and WEBHOOK_TIMEOUT_MS
too. Set per container rather than in the ConfigMap, so that no other pod
gets them or rolls when they change. Numbers go through int64: a values
file gives float64, which prints 1e+06 for a million.
Called with (dict "root" $ "delivers" true).
*/}}
{{- define "baton.webhookEnv" -}}
{{- $webhooks := .root.Values.webhooks -}}
- name: WEBHOOK_ALLOW_HTTP
  value: {{ ternary "true" "false" $webhooks.allowHttp | quote }}
{{- with $webhooks.allowedHosts }}
- name: WEBHOOK_ALLOWED_HOSTS
  value: {{ join "," . | quote }}
{{- end }}
- name: WEBHOOK_SECRET_GRACE_SEC
  value: {{ $webhooks.secretGraceSec | int64 | quote }}
{{- if .delivers }}
{{- $schedule := list }}
{{- range $webhooks.retryScheduleSec }}{{ $schedule = append $schedule (int64 . | toString) }}{{ end }}
- name: WEBHOOK_RETRY_SCHEDULE_SEC
  value: {{ join "," $schedule | quote }}
- name: WEBHOOK_TIMEOUT_MS
  value: {{ $webhooks.timeoutMs | int64 | quote }}
{{- end }}
{{- end -}}

{{/*
baton.webhookAllowedBlocks: the entries of webhooks.allowedHosts that are
IP addresses or CIDR ranges, as a JSON list of CIDRs for NetworkPolicy
ipBlocks: a range as given, an address as a /32 or /128 (IPv6 without its
brackets). Host names are left out: a NetworkPolicy cannot name a host.
values.schema.json has already checked each entry's form, so an entry with
"/" is a range, one with ":" or in brackets an IPv6 address, four decimal
numbers an IPv4 address, anything else a host name (as for the apps, which
take 999.1.1.1 for a name too).
*/}}
{{- define "baton.webhookAllowedBlocks" -}}
{{- $ipv4 := `(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}` -}}
{{- $blocks := list -}}
{{- range .Values.webhooks.allowedHosts -}}
{{- $entry := trimAll "[]" . -}}
{{- if contains "/" $entry -}}
{{- $blocks = append $blocks $entry -}}
{{- else if regexMatch (printf `(?i)^::ffff:%s$` $ipv4) $entry -}}
{{- /* IPv4-mapped: it leaves as its IPv4 address, as the apps read it; and
     Kubernetes warns of (or refuses) a mapped address in a CIDR. */ -}}
{{- $blocks = append $blocks (printf "%s/32" (substr 7 (len $entry) $entry)) -}}
{{- else if contains ":" $entry -}}
{{- $blocks = append $blocks (printf "%s/128" $entry) -}}
{{- else if regexMatch (printf `^%s$` $ipv4) $entry -}}
{{- $blocks = append $blocks (printf "%s/32" $entry) -}}
{{- end -}}
{{- end -}}
{{- toJson $blocks -}}
{{- end -}}

{{/*
baton.validate: refuses settings that would render a broken release. Called
once from the ConfigMap template, which every render includes.
*/}}
{{- define "baton.validate" -}}
{{- $config := .Values.config -}}
{{- if lt (int64 $config.jobRetryMaxMs) (int64 $config.jobRetryBaseMs) -}}
{{- fail "config.jobRetryMaxMs must not be less than config.jobRetryBaseMs" -}}
{{- end -}}
{{- if le (int64 $config.databaseQueryTimeoutMs) (int64 $config.databaseStatementTimeoutMs) -}}
{{- fail "config.databaseQueryTimeoutMs must exceed config.databaseStatementTimeoutMs: the server must answer a statement it cancels before the client gives up on it" -}}
{{- end -}}
{{- if and (not .Values.secret.existingSecret) (or (not .Values.secret.databaseUrl) (not .Values.secret.rabbitmqUrl)) -}}
{{- fail "set secret.databaseUrl and secret.rabbitmqUrl, or name an existing Secret in secret.existingSecret" -}}
{{- end -}}
{{- if and .Values.secret.existingSecret .Values.rabbitmq.urls -}}
{{- fail "rabbitmq.urls is written to the chart's Secret, which secret.existingSecret replaces: put RABBITMQ_URLS in that Secret and name its key in secret.rabbitmqUrlsKey" -}}
{{- end -}}
{{- if and .Values.secret.existingSecret .Values.database.readUrl -}}
{{- fail "database.readUrl is written to the chart's Secret, which secret.existingSecret replaces: put DATABASE_READ_URL in that Secret and name its key in secret.databaseReadUrlKey" -}}
{{- end -}}
{{- $timeoutSeconds := divf $config.shutdownTimeoutMs 1000 -}}
{{- $api := .Values.api -}}
{{- if gt (int64 $api.http.headersTimeoutMs) (int64 $api.http.requestTimeoutMs) -}}
{{- fail (printf "api.http.headersTimeoutMs (%v) must not exceed api.http.requestTimeoutMs (%v): Node requires the headers to arrive within the request timeout" $api.http.headersTimeoutMs $api.http.requestTimeoutMs) -}}
{{- end -}}
{{- $apiDrain := addf $api.preStopSleepSeconds (divf $api.shutdownDelayMs 1000) $timeoutSeconds -}}
{{- if le (float64 $api.terminationGracePeriodSeconds) $apiDrain -}}
{{- fail (printf "api.terminationGracePeriodSeconds (%v) must be longer than api.preStopSleepSeconds + (api.shutdownDelayMs + config.shutdownTimeoutMs)/1000 (%v), or Kubernetes kills the API before it has drained" $api.terminationGracePeriodSeconds $apiDrain) -}}
{{- end -}}
{{- if and $api.autoscaling.enabled (not (dig "requests" "cpu" "" $api.resources)) -}}
{{- fail "api.autoscaling needs api.resources.requests.cpu: CPU utilization is measured against it" -}}
{{- end -}}
{{- if and $api.autoscaling.enabled (lt (int $api.autoscaling.maxReplicas) (int $api.autoscaling.minReplicas)) -}}
{{- fail "api.autoscaling.maxReplicas must not be less than api.autoscaling.minReplicas" -}}
{{- end -}}
{{- if and .Values.auth.bootstrapKey.existingSecret (not .Values.migrations.enabled) -}}
{{- fail "auth.bootstrapKey is stored by the migration Job: it needs migrations.enabled (or set BATON_BOOTSTRAP_API_KEY on your own migrate run)" -}}
{{- end -}}
{{- $workers := include "baton.workers" . | fromYaml -}}
{{- if not $workers -}}
{{- fail "workers: enable at least one worker group, or no job is ever done" -}}
{{- end -}}
{{- range $name, $worker := $workers -}}
{{- if not $worker.queues -}}
{{- fail (printf "workers.%s.queues must name at least one queue" $name) -}}
{{- end -}}
{{- if le (float64 $worker.terminationGracePeriodSeconds) $timeoutSeconds -}}
{{- fail (printf "workers.%s.terminationGracePeriodSeconds (%v) must be longer than config.shutdownTimeoutMs/1000 (%v), or Kubernetes kills jobs in flight" $name $worker.terminationGracePeriodSeconds $timeoutSeconds) -}}
{{- end -}}
{{- $pool := default $config.databasePoolSize $worker.databasePoolSize -}}
{{- if lt (int $pool) (int $worker.concurrency) -}}
{{- fail (printf "workers.%s: the database pool (%v) must be at least the concurrency (%v), or jobs wait for connections" $name $pool $worker.concurrency) -}}
{{- end -}}
{{- if and $worker.autoscaling.hpa.enabled $worker.autoscaling.keda.enabled -}}
{{- fail (printf "workers.%s: enable autoscaling.hpa or autoscaling.keda, not both (KEDA makes its own HPA)" $name) -}}
{{- end -}}
{{- if and $worker.autoscaling.hpa.enabled (not (dig "requests" "cpu" "" $worker.resources)) -}}
{{- fail (printf "workers.%s.autoscaling.hpa needs resources.requests.cpu: CPU utilization is measured against it" $name) -}}
{{- end -}}
{{- if and $worker.autoscaling.hpa.enabled (lt (int $worker.autoscaling.hpa.maxReplicas) (int $worker.autoscaling.hpa.minReplicas)) -}}
{{- fail (printf "workers.%s.autoscaling.hpa.maxReplicas must not be less than minReplicas" $name) -}}
{{- end -}}
{{- if and $worker.autoscaling.keda.enabled (lt (int $worker.autoscaling.keda.maxReplicas) (int $worker.autoscaling.keda.minReplicas)) -}}
{{- fail (printf "workers.%s.autoscaling.keda.maxReplicas must not be less than minReplicas" $name) -}}
{{- end -}}
{{- $oldest := $worker.autoscaling.keda.oldestPending -}}
{{- if and $worker.autoscaling.keda.enabled $oldest.enabled -}}
{{- if not $oldest.serverAddress -}}
{{- fail (printf "workers.%s.autoscaling.keda.oldestPending needs serverAddress: the Prometheus KEDA queries" $name) -}}
{{- end -}}
{{- if not (or $oldest.query (include "baton.oldestPendingQuery" (dict "root" $ "worker" $worker))) -}}
{{- fail (printf "workers.%s.autoscaling.keda.oldestPending: the group consumes no job type's queue (webhooks have no oldest-pending gauge); set query, or turn it off" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $emails := .Values.emails -}}
{{- if $emails.enabled -}}
{{- if and $emails.smtp.url $emails.smtp.existingSecret -}}
{{- fail "emails.smtp: set emails.smtp.url or emails.smtp.existingSecret, not both" -}}
{{- end -}}
{{- if not (or $emails.smtp.url $emails.smtp.existingSecret) -}}
{{- fail "emails.enabled needs a mail server: set emails.smtp.url (smtp://user:password@host:587 or smtps://user:password@host:465) or emails.smtp.existingSecret (a Secret holding that URL under emails.smtp.secretKey)" -}}
{{- end -}}
{{- with $emails.smtp.url -}}
{{- /* The URL may hold a password: no message quotes it. */ -}}
{{- $pattern := include "baton.smtpUrlPattern" $ -}}
{{- $hostPort := regexMatch $pattern . | ternary (regexReplaceAll $pattern . "${1}") "" -}}
{{- $port := regexFind `:[0-9]+$` $hostPort | trimPrefix ":" -}}
{{- if or (not (regexMatch `^(\[[0-9a-fA-F:.]+\]|[^\[\]:]+)(:[0-9]+)?$` $hostPort)) (and $port (or (lt (atoi $port) 1) (gt (atoi $port) 65535))) -}}
{{- fail "emails.smtp.url must be smtp:// or smtps://, optional user:password@, a host and an optional port (1-65535), and nothing after (no path, ?query or #fragment); percent-encode / ? # in the user name and password" -}}
{{- end -}}
{{- end -}}
{{- if not $emails.from -}}
{{- fail "emails.enabled needs emails.from: MAIL_FROM, the sender of every email (billing@example.com or Example Shop <billing@example.com>)" -}}
{{- end -}}
{{- end -}}
{{- /* Every queue that is fed has a group to consume it: each job type the
     API accepts, and webhooks while webhooks.enabled. A rendered group
     consumes no disabled queue: baton.workers has left out the groups that
     consume only such queues, so one still here mixes it with others. */ -}}
{{- $disabled := include "baton.disabledQueues" . | fromJsonArray -}}
{{- range $name, $group := $workers -}}
{{- range $group.queues -}}
{{- if and (has . $disabled) (eq . "webhooks") -}}
{{- fail (printf "workers.%s consumes webhooks, which webhooks.enabled=false turns off (no pod may deliver webhooks, nor reach the internet to do so): set webhooks.enabled=true, or take webhooks out of workers.%s.queues" $name $name) -}}
{{- else if has . $disabled -}}
{{- fail (printf "workers.%s consumes %s, which emails.enabled=false turns off (the API refuses it, and the group's worker would not start without SMTP_URL and MAIL_FROM): set emails.enabled=true, or take %s out of workers.%s.queues" $name . . $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $consumed := list -}}
{{- range $workers }}{{ $consumed = concat $consumed .queues }}{{ end -}}
{{- range include "baton.jobTypes" . | fromJsonArray -}}
{{- if and (not (has . $disabled)) (not (has . $consumed)) -}}
{{- fail (printf "no enabled worker group consumes %s, whose jobs the API accepts: they would wait in their queue forever. Add %s to the queues of a group in workers (the chart's own is workers.%s)%s" . . . (eq . "emails" | ternary ", or set emails.enabled=false" "")) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.webhooks.enabled (not (has "webhooks" $consumed)) -}}
{{- fail "no enabled worker group consumes webhooks, the webhook deliveries the API's relay publishes when they are due: they would wait in their queue forever. Add webhooks to the queues of a group in workers (the chart's own is workers.webhooks), or set webhooks.enabled=false" -}}
{{- end -}}
{{- end -}}

{{/*
baton.resourceAttributes: tracing.resourceAttributes as OTEL_RESOURCE_ATTRIBUTES
wants them: key=value pairs, comma-separated, in key order (so the rendered
ConfigMap, and its checksum, do not change from one render to the next), the
values percent-encoded as the specification asks (a comma or = in a value).
*/}}
{{- define "baton.resourceAttributes" -}}
{{- $pairs := list -}}
{{- range $key := keys . | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $key (urlquery (toString (get $ $key)))) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/*
baton.otlpPort: the TCP port of tracing.otlpEndpoint: the one it names, or
its scheme's (443 for https, 80 for http).
*/}}
{{- define "baton.otlpPort" -}}
{{- $url := urlParse . -}}
{{- $host := get $url "host" -}}
{{- if regexMatch ":[0-9]+$" $host -}}
{{- regexFind "[0-9]+$" $host -}}
{{- else -}}
{{- eq (get $url "scheme") "https" | ternary 443 80 -}}
{{- end -}}
{{- end -}}

{{/*
baton.networkPolicyEgress: the egress rules of a Baton pod: DNS, and
PostgreSQL and RabbitMQ ports (to networkPolicy.egressTo, or anywhere), and
the trace collector's (baton.otlpPort) when tracing.otlpEndpoint is set; the
Redis port too (same peers) when rateLimit.redis names a Secret and the pod
connects to Redis: the API (it counts requests and caches reads there) and
a worker group that does (baton.workerUsesRedis); for a worker group that
consumes emails, the SMTP port (baton.smtpPort) in a rule of its own, to
networkPolicy.smtpTo or anywhere, since a mail relay is often outside the
cluster; and for a worker group that consumes webhooks, two more:
networkPolicy.webhookPorts (and 80 with webhooks.allowHttp) to
networkPolicy.webhookTo (by default every public address), and every TCP
port to the addresses and ranges of webhooks.allowedHosts
(baton.webhookAllowedBlocks), which the workers deliver to on whatever port
an endpoint names.
Called with (dict "root" $ "component" "api"), or for a worker group with
(dict "root" $ "component" "worker-<group>" "worker" $worker).
*/}}
{{- define "baton.networkPolicyEgress" -}}
{{- $policy := .root.Values.networkPolicy -}}
{{- /* As ints: values files give float64, --set gives int64, and has compares types. */ -}}
{{- $ports := list -}}
{{- range $policy.egressPorts }}{{ $ports = append $ports (int .) }}{{ end -}}
{{- $usesRedis := false -}}
{{- if .root.Values.rateLimit.redis.existingSecret -}}
{{- if eq .component "api" -}}
{{- $usesRedis = true -}}
{{- else if and .worker (include "baton.workerUsesRedis" (dict "root" .root "worker" .worker)) -}}
{{- $usesRedis = true -}}
{{- end -}}
{{- end -}}
{{- if and $usesRedis (not (has (int $policy.redisPort) $ports)) -}}
{{- $ports = append $ports (int $policy.redisPort) -}}
{{- end -}}
{{- /* The trace collector, like PostgreSQL and RabbitMQ, is one of networkPolicy.egressTo's peers. */ -}}
{{- with .root.Values.tracing.otlpEndpoint -}}
{{- $otlpPort := int (include "baton.otlpPort" .) -}}
{{- if not (has $otlpPort $ports) -}}
{{- $ports = append $ports $otlpPort -}}
{{- end -}}
{{- end -}}
{{- if $policy.allowDns }}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
- ports:
    {{- range $ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $policy.egressTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if and .worker (has "emails" .worker.queues) }}
- ports:
    - port: {{ include "baton.smtpPort" .root }}
      protocol: TCP
  {{- with $policy.smtpTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- if and .worker (has "webhooks" .worker.queues) }}
{{- $webhookPorts := list -}}
{{- range $policy.webhookPorts }}{{ $webhookPorts = append $webhookPorts (int .) }}{{ end -}}
{{- if and .root.Values.webhooks.allowHttp (not (has 80 $webhookPorts)) -}}
{{- $webhookPorts = append $webhookPorts 80 -}}
{{- end }}
- ports:
    {{- range $webhookPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $policy.webhookTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- with include "baton.webhookAllowedBlocks" .root | fromJsonArray }}
- ports:
    - protocol: TCP
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . | quote }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
baton.heapEnv: a NODE_OPTIONS entry that sizes V8's heap: its old space
from the container's memory limit (heap.fractionOfMemoryLimit of it, in
MiB), so that Node collects garbage before the kernel kills the container,
and its young generation's semi-spaces (heap.maxSemiSpaceMiB). Each is left
out when unset: no memory limit or a fraction of 0, a semi-space of 0; and
the entry too when both are. Called with
(dict "root" $ "resources" <the container's resources>).
*/}}
{{- define "baton.heapEnv" -}}
{{- $fraction := float64 .root.Values.heap.fractionOfMemoryLimit -}}
{{- $semiSpace := int64 .root.Values.heap.maxSemiSpaceMiB -}}
{{- $limit := "" -}}
{{- $flags := list -}}
{{- with .resources }}{{ with .limits }}{{ $limit = toString (.memory | default "") }}{{ end }}{{ end -}}
{{- if and $limit (gt $fraction 0.0) -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $limit -}}
{{- $unit := trimPrefix $number $limit -}}
{{- $perMiB := dict "" 0.00000095367431640625 "Ki" 0.0009765625 "Mi" 1.0 "Gi" 1024.0 "Ti" 1048576.0 "k" 0.00095367431640625 "M" 0.95367431640625 "G" 953.67431640625 "T" 953674.31640625 -}}
{{- if or (not $number) (not (hasKey $perMiB $unit)) -}}
{{- fail (printf "heap.fractionOfMemoryLimit: cannot read the memory limit %q (a number with one of the units Ki, Mi, Gi, Ti, k, M, G, T, or none)" $limit) -}}
{{- end -}}
{{- $mib := floor (mulf (mulf (float64 $number) (get $perMiB $unit)) $fraction) -}}
{{- $flags = append $flags (printf "--max-old-space-size=%d" (int64 $mib)) -}}
{{- end -}}
{{- if gt $semiSpace 0 -}}
{{- $flags = append $flags (printf "--max-semi-space-size=%d" $semiSpace) -}}
{{- end -}}
{{- if $flags -}}
- name: NODE_OPTIONS
  value: {{ join " " $flags | quote }}
{{- end -}}
{{- end -}}
