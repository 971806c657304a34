// Loads the Pulumi program the way Pulumi's nodejs runtime does for a TypeScript
// project: its vendored ts-node with the project's TypeScript and tsconfig.json, type
// checking on. Prints the type of the module's export (the runtime calls a function).
const path = require("node:path");
const root = process.argv[2];
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
const vendored = require("node:fs").readdirSync(path.join(pulumiDir, "vendor")).find((d) => d.startsWith("ts-node@"));
require(path.join(pulumiDir, "vendor", vendored)).register({
  compiler: require.resolve("typescript", { paths: [root] }),
  project: path.join(root, "tsconfig.json"),
  compilerOptions: {},
});
process.stdout.write(`${typeof require(path.join(root, "index.ts"))}\n`);
