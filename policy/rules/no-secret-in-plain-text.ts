import { Rule, T } from "./rule";

/** Uploaded files that hold key material or passwords. */
const SENSITIVE_FILE = /(key\.pem|\.key|password|passwd|secret|token)/i;
const SENSITIVE_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY)=/i;
const SENSITIVE_PROP = /^(apiToken|apiKey|password|privateKey|token)$/;
const MASK = "[secret]";

export const noSecretInPlainText: Rule = {
  name: "no-secret-in-plain-text",
  description: "Keys, passwords and tokens reach resources only as secrets, as files readable by their service alone, never in environment variables.",
  why: "NTA 7516 6.1.9 and 6.1.10: a key in plain state or in `docker inspect` output is readable by everyone who can read the state or the host.",
  enforcementLevel: "mandatory",
  resource: (r, ctx) => {
    const out: string[] = [];
    if (r.type === T.container) {
      for (const env of Array.isArray(r.props.envs) ? (r.props.envs as string[]) : []) {
        if (SENSITIVE_ENV.test(env)) out.push(`${r.name} passes ${env.split("=")[0]} as an environment variable; upload it as a secret file instead`);
      }
      for (const u of Array.isArray(r.props.uploads) ? (r.props.uploads as { file: string; content?: string; permissions?: string }[]) : []) {
        if (!SENSITIVE_FILE.test(u.file)) continue;
        if (ctx.masked && u.content !== MASK) out.push(`${r.name} uploads ${u.file} in plain text; wrap its content in pulumi.secret`);
        if (!["0600", "0640", "0400", "0440"].includes(u.permissions ?? "")) out.push(`${r.name} uploads ${u.file} with permissions ${u.permissions ?? "(default)"}; use 0600 or 0640`);
      }
    }
    if (ctx.masked && r.type.startsWith("pulumi:providers:")) {
      for (const [k, v] of Object.entries(r.props)) {
        if (SENSITIVE_PROP.test(k) && v !== MASK) out.push(`provider ${r.name} has ${k} in plain text; read it with config.requireSecret`);
      }
    }
    return out;
  },
};
