import { Plan, PlannedResource, SECRET_MASK } from "./run";
import { formatViolation } from "../../components/config/violations";
import { PolicyViolation, RULES } from "../../policy/rules";

/** `docker:index/container:Container` → `docker:Container`. */
export function shortType(type: string): string {
  const m = /^([^:]+):[^:]*\/[^:]*:(.+)$/.exec(type);
  return m ? `${m[1]}:${m[2]}` : type;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/** The inputs a reviewer looks at first, per resource type, on one line. */
export function keyInputs(r: PlannedResource): string {
  const i = r.inputs as Record<string, any>;
  switch (r.type) {
    case "pulumi:providers:docker":
      return `host=${i.host}`;
    case "pulumi:providers:cloudflare":
      return `apiToken=${i.apiToken ?? "(unset)"}`;
    case "docker:index/network:Network":
      return `name=${i.name} subnet=${(i.ipamConfigs ?? []).map((c: any) => c.subnet).join(",")}`;
    case "docker:index/remoteImage:RemoteImage":
      return `name=${i.name}`;
    case "docker:index/volume:Volume":
      return `name=${i.name}`;
    case "docker:index/container:Container": {
      const ports = (i.ports ?? []).map((p: any) => `${p.ip}:${p.external}->${p.internal}`);
      // The engine marks the whole list secret when one upload is; the component's
      // registered files show the rest.
      const uploads = Array.isArray(i.uploads)
        ? i.uploads.map((u: any) => (u.content === SECRET_MASK ? `${u.file} ${SECRET_MASK}` : `${u.file} (${bytes(String(u.content ?? "").length)})`))
        : i.uploads
          ? [`${SECRET_MASK} (holds secret files; the component lists the others)`]
          : [];
      const volumes = (i.volumes ?? []).map((v: any) => `${v.volumeName}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
      const digest = (i.labels ?? []).find((l: any) => l.label === "ezorg.config-sha256")?.value;
      return [
        `image=${i.image}`,
        ports.length ? `ports=${ports.join(",")}` : "",
        volumes.length ? `volumes=${volumes.join(",")}` : "",
        digest ? `config=${digest.slice(0, 12)}` : "",
        uploads.length ? `\n      uploads: ${uploads.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join(" ");
    }
    case "cloudflare:index/dnsRecord:DnsRecord":
      return `${i.name} ${i.ttl} ${i.type} ${i.priority !== undefined ? `${i.priority} ` : ""}${i.content}`;
    case "cloudflare:index/zoneDnssec:ZoneDnssec":
      return `zoneId=${i.zoneId} status=${i.status}`;
    default:
      return Object.entries(i)
        .filter(([, v]) => typeof v !== "object")
        .slice(0, 4)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
  }
}

/** `path (size)` of every file a component registered as rendered configuration. */
function componentFiles(r: PlannedResource): string[] {
  const files = r.outputs?.files as Record<string, unknown> | undefined;
  if (!files || typeof files !== "object") return [];
  const flat = Object.entries(files).flatMap(([k, v]) =>
    typeof v === "string" ? [[k, v] as const] : Object.entries(v as Record<string, string>).map(([f, c]) => [`${k}:${f}`, c] as const),
  );
  return flat.map(([f, c]) => `${f} (${bytes(c.length)})`);
}

/** NTA 7516 policy result: a ✓ line, or a ✗/! line per violation with its reason. */
export function formatPolicy(violations: PolicyViolation[]): string[] {
  if (violations.length === 0) return [`Policy: ✓ ${RULES.length} NTA 7516 rules hold`];
  return [
    `Policy: ${violations.length} violation${violations.length === 1 ? "" : "s"} of the NTA 7516 rules`,
    ...violations.map((v) => `  ${v.enforcementLevel === "mandatory" ? "✗" : "!"} ${v.rule}${v.resource ? ` (${v.resource})` : ""}: ${v.message}. Why: ${v.why}`),
  ];
}

/** The plan as text: resources grouped under their component, outputs, warnings. */
export function formatPlan(plan: Plan): string {
  const children = new Map<string, PlannedResource[]>();
  for (const r of plan.resources) {
    const key = r.parent ?? "";
    children.set(key, [...(children.get(key) ?? []), r]);
  }
  const lines: string[] = [];
  const custom = plan.resources.filter((r) => r.custom).length;
  lines.push(`Plan for stack ${plan.stack} (${plan.kind}): ${plan.resources.length} resources, ${custom} of them cloud resources`);
  const walk = (r: PlannedResource, depth: number) => {
    const pad = "  ".repeat(depth);
    lines.push(`${pad}${r.custom ? "+" : "▸"} ${shortType(r.type)} ${r.name}${r.custom ? `  ${keyInputs(r)}` : ""}`.replace(/\n {6}/g, `\n${pad}      `));
    const files = componentFiles(r);
    if (files.length) lines.push(`${pad}    files: ${files.join(", ")}`);
    for (const c of children.get(r.urn) ?? []) walk(c, depth + 1);
  };
  for (const top of children.get("") ?? []) {
    lines.push("");
    walk(top, 0);
  }
  lines.push("", "Outputs:");
  for (const [k, v] of Object.entries(plan.outputs)) {
    lines.push(`  ${k}: ${Array.isArray(v) ? (v.length ? `\n${v.map((x) => `    ${x}`).join("\n")}` : "[]") : v}`);
  }
  if (plan.unsetSecrets.length) {
    lines.push("", `Secrets not set in the stack file (stand-ins used; set them with \`pulumi config set --secret\` before a real update): ${plan.unsetSecrets.join(", ")}`);
  }
  for (const w of plan.warnings) lines.push(`warning: ${formatViolation(w)}`);
  lines.push("", ...formatPolicy(plan.policy));
  return lines.join("\n");
}

/**
 * The plan for machines: `{urn, type, name, parent, inputs}` per resource, secrets
 * masked, plus `options` where replacement or deletion is special and `outputs` where a
 * component registered some (its rendered files).
 */
export function planJson(plan: Plan): object[] {
  return plan.resources.map(({ urn, type, name, parent, inputs, outputs, options }) => ({
    urn,
    type,
    name,
    parent: parent ?? null,
    inputs,
    ...(options ? { options } : {}),
    ...(outputs ? { outputs } : {}),
  }));
}
