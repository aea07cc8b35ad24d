{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "policyhub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources. */}}
{{- define "policyhub.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "policyhub.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "policyhub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "web"). */}}
{{- define "policyhub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "policyhub.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "policyhub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "policyhub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "policyhub.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The first host name, sent as the Host header of HTTP probes. */}}
{{- define "policyhub.probeHost" -}}
{{- required "config.allowedHosts must list at least one host name" (first .Values.config.allowedHosts) | trimPrefix "." }}
{{- end }}

{{/* Non-secret settings, shared by the ConfigMap and the migration Job. */}}
{{- define "policyhub.configData" -}}
ALLOWED_HOSTS: {{ join "," .Values.config.allowedHosts | quote }}
CSRF_TRUSTED_ORIGINS: {{ join "," .Values.config.csrfTrustedOrigins | quote }}
POLICYHUB_BASE_URL: {{ .Values.config.baseUrl | quote }}
POLICYHUB_ORGANISATION_NAME: {{ .Values.config.organisationName | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
TRUSTED_PROXY_COUNT: {{ .Values.config.trustedProxyCount | quote }}
POLICYHUB_SIGNING_P12: "/var/run/secrets/policyhub-signing/{{ .Values.secrets.signing.key }}"
{{- if .Values.objectStorage.bucket }}
AWS_STORAGE_BUCKET_NAME: {{ .Values.objectStorage.bucket | quote }}
AWS_S3_ENDPOINT_URL: {{ .Values.objectStorage.endpointUrl | quote }}
AWS_S3_REGION_NAME: {{ .Values.objectStorage.region | quote }}
AWS_S3_ADDRESSING_STYLE: {{ .Values.objectStorage.addressingStyle | quote }}
AWS_S3_LOCATION: {{ .Values.objectStorage.location | quote }}
AWS_S3_SERVER_SIDE_ENCRYPTION: {{ .Values.objectStorage.serverSideEncryption | quote }}
{{- else }}
MEDIA_ROOT: "/app/var/media"
{{- end }}
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Secret files read through *_FILE variables. */}}
{{- define "policyhub.secretEnv" -}}
- name: SECRET_KEY_FILE
  value: /var/run/secrets/policyhub/secret-key
- name: DATABASE_URL_FILE
  value: /var/run/secrets/policyhub/database-url
- name: REDIS_URL_FILE
  value: /var/run/secrets/policyhub/redis-url
- name: POLICYHUB_SIGNING_PASSPHRASE_FILE
  value: /var/run/secrets/policyhub/signing-passphrase
- name: POLICYHUB_FIELD_KEYS_FILE
  value: /var/run/secrets/policyhub/field-keys
- name: POLICYHUB_FIELD_HASH_KEY_FILE
  value: /var/run/secrets/policyhub/field-hash-key
{{- if and .Values.objectStorage.bucket .Values.objectStorage.credentialsSecret }}
- name: AWS_ACCESS_KEY_ID_FILE
  value: /var/run/secrets/policyhub-storage/access-key-id
- name: AWS_SECRET_ACCESS_KEY_FILE
  value: /var/run/secrets/policyhub-storage/secret-access-key
{{- end }}
{{- end }}

{{- define "policyhub.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: secrets
  mountPath: /var/run/secrets/policyhub
  readOnly: true
- name: signing
  mountPath: /var/run/secrets/policyhub-signing
  readOnly: true
{{- if and .Values.objectStorage.bucket .Values.objectStorage.credentialsSecret }}
- name: storage-credentials
  mountPath: /var/run/secrets/policyhub-storage
  readOnly: true
{{- end }}
{{- if not .Values.objectStorage.bucket }}
- name: media
  mountPath: /app/var/media
{{- end }}
{{- end }}

{{- define "policyhub.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 512Mi
- name: secrets
  secret:
    secretName: {{ .Values.secrets.existingSecret }}
    defaultMode: 0440
    items:
      - key: secret-key
        path: secret-key
      - key: database-url
        path: database-url
      - key: redis-url
        path: redis-url
      - key: signing-passphrase
        path: signing-passphrase
      - key: field-keys
        path: field-keys
      - key: field-hash-key
        path: field-hash-key
- name: signing
  secret:
    secretName: {{ .Values.secrets.signing.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.secrets.signing.key }}
        path: {{ .Values.secrets.signing.key }}
{{- if and .Values.objectStorage.bucket .Values.objectStorage.credentialsSecret }}
- name: storage-credentials
  secret:
    secretName: {{ .Values.objectStorage.credentialsSecret }}
    defaultMode: 0440
    items:
      - key: access-key-id
        path: access-key-id
      - key: secret-access-key
        path: secret-access-key
{{- end }}
{{- if not .Values.objectStorage.bucket }}
- name: media
  persistentVolumeClaim:
    claimName: {{ required "Set objectStorage.bucket, or media.existingClaim to a ReadWriteMany claim shared by every pod" .Values.media.existingClaim }}
{{- end }}
{{- end }}

{{/* Pod fields shared by every workload. */}}
{{- define "policyhub.podCommon" -}}
serviceAccountName: {{ include "policyhub.serviceAccountName" . }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
