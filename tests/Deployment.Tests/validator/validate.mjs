// kubectl kustomize deploy/kubernetes/overlays/<overlay> | node validate.mjs deploy/kubernetes/crds/*.yaml
// Every built-in object against the Kubernetes 1.36 API schemas (kubernetes-models), with fields the
// API does not know refused (k8s-fields-1.36.json: each type's fields, taken from
// @kubernetes/client-node 2.0.1's generated models, the same OpenAPI release); every custom resource
// against its CRD's openAPIV3Schema, made strict the same way. Prints each problem; exit 1 if any.
import fs from "node:fs";
import YAML from "yaml";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";

const FIELDS = JSON.parse(fs.readFileSync(new URL("./k8s-fields-1.36.json", import.meta.url), "utf8"));
const SCALARS = new Set(["string", "number", "boolean", "Date", "any", "IntOrString", "object"]);
const capital = (s) => s[0].toUpperCase() + s.slice(1);

// The built-in kinds: each kubernetes-models class carries its apiVersion and kind.
const builtin = new Map();
for (const group of ["v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1"]) {
  for (const model of Object.values(await import(`kubernetes-models/${group}`))) {
    if (typeof model === "function" && model.apiVersion && model.kind) builtin.set(`${model.apiVersion}|${model.kind}`, model);
  }
}

/** "apps/v1", "Deployment" -> "V1Deployment" (the field map's type name). */
function typeOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return [`${capital(version)}${kind}`, `${capital(group.split(".")[0])}${capital(version)}${kind}`].find((t) => FIELDS[t]) ?? null;
}

function unknownFields(value, type, path, found) {
  if (value == null || type == null) return found;
  let match;
  if ((match = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, match[1], `${path}/${i}`, found));
    return found;
  }
  if ((match = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value === "object") for (const [k, v] of Object.entries(value)) unknownFields(v, match[1], `${path}/${k}`, found);
    return found;
  }
  if (SCALARS.has(type) || typeof value !== "object" || Array.isArray(value) || !FIELDS[type]) return found;
  for (const [key, v] of Object.entries(value)) {
    if (!(key in FIELDS[type])) found.push(`${path || "/"}: unknown field "${key}"`);
    else unknownFields(v, FIELDS[type][key], `${path}/${key}`, found);
  }
  return found;
}

// CRD schemas: Kubernetes' extensions are annotations to ajv (CEL rules are not evaluated); an
// object with properties refuses others unless the schema preserves unknown fields.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, allowUnionTypes: true });
addFormats(ajv);
for (const keyword of ["x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource",
  "x-kubernetes-validations", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type"]) ajv.addKeyword({ keyword });
for (const format of ["quantity", "duration", "cidr", "mac", "datetime"]) if (!ajv.formats[format]) ajv.addFormat(format, true);

function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" || key === "patternProperties") out[key] = Object.fromEntries(Object.entries(value).map(([p, s]) => [p, strict(s)]));
    else if (["default", "enum", "example", "x-kubernetes-validations"].includes(key)) out[key] = value;
    else out[key] = strict(value);
  }
  if (out["x-kubernetes-int-or-string"] && !out.type && !out.anyOf && !out.oneOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  if (out["x-kubernetes-embedded-resource"] && out.properties) out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...out.properties };
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}

const custom = new Map();
for (const file of process.argv.slice(2)) {
  for (const document of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const crd = document.toJS();
    if (crd?.kind !== "CustomResourceDefinition") continue;
    for (const version of crd.spec.versions) {
      const schema = structuredClone(version.schema.openAPIV3Schema);
      schema.properties = { ...schema.properties, apiVersion: { const: `${crd.spec.group}/${version.name}` }, kind: { const: crd.spec.names.kind }, metadata: { type: "object" } };
      custom.set(`${crd.spec.group}/${version.name}|${crd.spec.names.kind}`, ajv.compile(strict(schema)));
    }
  }
}

const describe = (errors) => errors.map((e) => `${e.instancePath || "/"} ${e.message}${e.keyword === "additionalProperties" ? ` '${e.params.additionalProperty}'` : ""}`);
const problems = [];
let count = 0;
for (const document of YAML.parseAllDocuments(fs.readFileSync(0, "utf8"))) {
  if (document.errors.length) { problems.push(`YAML: ${document.errors.map((e) => e.message).join("; ")}`); continue; }
  const object = document.toJS();
  if (object == null) continue;
  count++;
  const id = `${object.apiVersion}|${object.kind}`;
  const errors = [];
  if (builtin.has(id)) {
    try { new (builtin.get(id))(object).validate(); } catch (e) { errors.push(...(e.errors ? describe(e.errors) : [e.message])); }
    errors.push(...unknownFields(object, typeOf(object.apiVersion, object.kind), "", []));
  } else if (custom.has(id)) {
    const validate = custom.get(id);
    if (!validate(object)) errors.push(...describe(validate.errors));
    try { new ObjectMeta(object.metadata).validate(); } catch (e) { errors.push(...(e.errors ? describe(e.errors) : [e.message]).map((s) => `/metadata${s}`)); }
    errors.push(...unknownFields(object.metadata, "V1ObjectMeta", "/metadata", []));
  } else {
    errors.push(`no schema for ${id}`);
  }
  for (const error of errors) problems.push(`${object.kind}/${object.metadata?.name}: ${error}`);
}
console.log(problems.join("\n") || `${count} objects valid`);
process.exitCode = problems.length > 0 || count === 0 ? 1 : 0;
