// Rebuilds k8s-fields-1.36.json, the field names of every Kubernetes API type, from the generated
// models of @kubernetes/client-node (2.0.1: OpenAPI spec release-1.36), which validate.mjs uses to
// refuse unknown fields (kubernetes-models' schemas allow them). Run by hand when moving versions:
//   npm pack @kubernetes/client-node@2.0.1 && tar xzf kubernetes-client-node-2.0.1.tgz
//   node make-fields.mjs package/dist/gen/models > k8s-fields-1.36.json
import fs from "node:fs";
import path from "node:path";

const directory = path.resolve(process.argv[2]);
const fields = {};
for (const file of fs.readdirSync(directory).filter((f) => f.endsWith(".js") && !["all.js", "ObjectSerializer.js"].includes(f)).sort()) {
  const name = file.slice(0, -3);
  const model = (await import(path.join(directory, file)))[name];
  if (model?.getAttributeTypeMap) fields[name] = Object.fromEntries(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
}
process.stdout.write(JSON.stringify(fields));
