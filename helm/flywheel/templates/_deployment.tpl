{{/*
The Deployment of one service. Call with
  (dict "root" $ "name" "gateway" "component" .Values.gateway "portEnv" "GATEWAY_PORT" "env" $env "flags" true)
where $env is the service's own environment (a YAML list, not indented), flags mounts the
flags ConfigMap (FLAGS_FILE) and syncPort (optional) adds the flag sync (gRPC) port `flag-sync`.
*/}}
{{- define "flywheel.deployment" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $args := list $root .name -}}
{{- /* flywheel start's own drain deadline ends 5 s before the kubelet's SIGKILL */ -}}
{{- $drainMs := mul (sub (sub $c.terminationGracePeriodSeconds $root.Values.preStopSleepSeconds) 5) 1000 -}}
{{- if lt $drainMs 5000 -}}
{{- fail (printf "%s.terminationGracePeriodSeconds must be at least preStopSleepSeconds + 10" .name) -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "flywheel.componentName" $args }}
  labels:
    {{- include "flywheel.componentLabels" $args | nindent 4 }}
spec:
  {{- if not (and $c.autoscaling $c.autoscaling.enabled) }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  selector:
    matchLabels:
      {{- include "flywheel.selectorLabels" $args | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "flywheel.componentLabels" $args | nindent 8 }}
      annotations:
        # flywheel.yaml is read once at boot: a change rolls the pods. The flags are not part
        # of the checksum: the gateway reloads them live.
        checksum/config: {{ include "flywheel.configChecksum" $root }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "flywheel.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .name }}
          image: {{ printf "%s/%s:%s" $root.Values.image.registry .name (default $root.Chart.AppVersion $root.Values.image.tag) | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ $c.port }}
              protocol: TCP
            {{- with .syncPort }}
            - name: flag-sync
              containerPort: {{ . }}
              protocol: TCP
            {{- end }}
          env:
            - name: {{ .portEnv }}
              value: {{ $c.port | quote }}
            - name: FLYWHEEL_CONFIG
              value: /etc/flywheel/config/flywheel.yaml
            {{- if .flags }}
            - name: FLAGS_FILE
              value: /etc/flywheel/flags/flags.json
            {{- end }}
            - name: FLYWHEEL_DATA_DIR
              value: /var/lib/flywheel
            - name: FLYWHEEL_SHUTDOWN_TIMEOUT_MS
              value: {{ $drainMs | quote }}
            - name: KAFKA_BROKERS
              value: {{ required "kafka.brokers is required (host:port,…)" $root.Values.kafka.brokers | quote }}
            {{- include "flywheel.kafkaSecurityEnv" $root | nindent 12 }}
            {{- .env | nindent 12 }}
            {{- with $c.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $root.Values.preStopSleepSeconds | quote }}]
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/flywheel/config
              readOnly: true
            {{- if .flags }}
            - name: flags
              mountPath: /etc/flywheel/flags
              readOnly: true
            {{- end }}
            - name: data
              mountPath: /var/lib/flywheel
            - name: tmp
              mountPath: /tmp
            {{- include "flywheel.kafkaSecurityMounts" $root | nindent 12 }}
      volumes:
        - name: config
          configMap:
            name: {{ include "flywheel.configMapName" $root }}
        {{- if .flags }}
        - name: flags
          configMap:
            name: {{ include "flywheel.flagsConfigMapName" $root }}
        {{- end }}
        - name: data
          emptyDir:
            sizeLimit: {{ $root.Values.dataVolume.sizeLimit }}
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        {{- include "flywheel.kafkaSecurityVolumes" $root | nindent 8 }}
      {{- with $c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "flywheel.configChecksum" -}}
{{- if .Values.config.existingConfigMap -}}
{{- .Values.config.existingConfigMap | sha256sum -}}
{{- else -}}
{{- printf "%s\n%s" .Values.config.flywheel (toYaml .Values.config.files) | sha256sum -}}
{{- end -}}
{{- end -}}

{{/* A URL from a Secret key (existingSecret) or a plain value. Call with (list "REDIS_URL" .Values.redis "redis"). */}}
{{- define "flywheel.urlEnv" -}}
{{- $var := index . 0 -}}
{{- $backend := index . 1 -}}
{{- if $backend.existingSecret.name -}}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $backend.existingSecret.name }}
      key: {{ required (printf "%s.existingSecret.key is required with %s.existingSecret.name" (index . 2) (index . 2)) $backend.existingSecret.key }}
{{- else -}}
- name: {{ $var }}
  value: {{ required (printf "%s.url or %s.existingSecret is required" (index . 2) (index . 2)) $backend.url | quote }}
{{- end -}}
{{- end -}}

{{/* KAFKA_SSL* and KAFKA_SASL_* from .Values.kafka.tls / .sasl: files in Secrets, mounted read-only. */}}
{{- define "flywheel.kafkaSecurityEnv" -}}
{{- $tls := .Values.kafka.tls -}}
{{- $sasl := .Values.kafka.sasl -}}
{{- if $tls.enabled }}
- name: KAFKA_SSL
  value: "true"
{{- if $tls.caSecret.name }}
- name: KAFKA_SSL_CA_FILE
  value: /etc/flywheel/kafka-tls/ca/ca.crt
{{- end }}
{{- if $tls.clientSecret.name }}
- name: KAFKA_SSL_CERT_FILE
  value: /etc/flywheel/kafka-tls/client/tls.crt
- name: KAFKA_SSL_KEY_FILE
  value: /etc/flywheel/kafka-tls/client/tls.key
{{- end }}
{{- if not $tls.rejectUnauthorized }}
- name: KAFKA_SSL_REJECT_UNAUTHORIZED
  value: "false"
{{- end }}
{{- end }}
{{- if $sasl.mechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with kafka.sasl.mechanism" $sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/flywheel/kafka-sasl/password
{{- end }}
{{- end -}}

{{- define "flywheel.kafkaSecurityMounts" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-tls-ca
  mountPath: /etc/flywheel/kafka-tls/ca
  readOnly: true
{{- end }}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.clientSecret.name }}
- name: kafka-tls-client
  mountPath: /etc/flywheel/kafka-tls/client
  readOnly: true
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: kafka-sasl
  mountPath: /etc/flywheel/kafka-sasl
  readOnly: true
{{- end }}
{{- end -}}

{{- define "flywheel.kafkaSecurityVolumes" -}}
{{- $tls := .Values.kafka.tls -}}
{{- $sasl := .Values.kafka.sasl -}}
{{- if and $tls.enabled $tls.caSecret.name }}
- name: kafka-tls-ca
  secret:
    secretName: {{ $tls.caSecret.name }}
    defaultMode: 288 # 0440 (octal), written in decimal: YAML 1.1 and 1.2 parsers agree on it
    items:
      - { key: {{ required "kafka.tls.caSecret.key is required" $tls.caSecret.key | quote }}, path: ca.crt }
{{- end }}
{{- if and $tls.enabled $tls.clientSecret.name }}
- name: kafka-tls-client
  secret:
    secretName: {{ $tls.clientSecret.name }}
    defaultMode: 288 # 0440 (octal), written in decimal: YAML 1.1 and 1.2 parsers agree on it
    items:
      - { key: {{ required "kafka.tls.clientSecret.certKey is required" $tls.clientSecret.certKey | quote }}, path: tls.crt }
      - { key: {{ required "kafka.tls.clientSecret.keyKey is required" $tls.clientSecret.keyKey | quote }}, path: tls.key }
{{- end }}
{{- if $sasl.mechanism }}
- name: kafka-sasl
  secret:
    secretName: {{ required "kafka.sasl.passwordSecret.name is required with kafka.sasl.mechanism" $sasl.passwordSecret.name }}
    defaultMode: 288 # 0440 (octal), written in decimal: YAML 1.1 and 1.2 parsers agree on it
    items:
      - { key: {{ required "kafka.sasl.passwordSecret.key is required" $sasl.passwordSecret.key | quote }}, path: password }
{{- end }}
{{- end -}}
