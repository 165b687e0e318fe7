{{/* Chart name, overridable. */}}
{{- define "vmtask.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name of the operator's objects: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "vmtask.fullname" -}}
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

{{- define "vmtask.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vmtask.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vmtask.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "vmtask.labels" -}}
helm.sh/chart: {{ include "vmtask.chart" . }}
{{ include "vmtask.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: vmtask
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vmtask.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vmtask.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Leader election is needed as soon as more than one replica runs. */}}
{{- define "vmtask.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) }}true{{ else }}false{{ end }}
{{- end }}

{{- define "vmtask.image" -}}
{{- printf "%s:%s" .repository (toString .tag) }}
{{- end }}

{{/* The node daemon's labels: the operator's, with component node. */}}
{{- define "vmtask.nodeSelectorLabels" -}}
app.kubernetes.io/name: {{ include "vmtask.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node
{{- end }}

{{- define "vmtask.nodeLabels" -}}
helm.sh/chart: {{ include "vmtask.chart" . }}
{{ include "vmtask.nodeSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: vmtask
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
