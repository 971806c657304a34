import { readFileSync } from "node:fs";
import * as path from "node:path";
import { which } from "zx";
import { loadStack } from "../../components/config/load";
import { Customer } from "../../components/config/model";
import { hasSecureCredential } from "../../components/config/stages";
import { allCustomers, execute, namedCustomers, OpsContext, OpsOptions } from "../ops/command";
import { overlapEnded, platformStackOf, preflight, PreflightError } from "../ops/common";
import { Descriptor } from "../ops/descriptor";
import { Operation } from "../ops/engine";
import { outbox } from "../ops/notify";
import { rolloutPhase, selectionId } from "../ops/rollout";
import { certificateOperation, checkCertificate, CheckedCertificate, TlsService } from "../ops/rotate-certificate";
import { checkFinish, checkStart, credentialFinishOperation, credentialStartOperation, randomPassword, sha512Crypt, SMTP_PASSWORD_KEY, verifySha512Crypt } from "../ops/rotate-credential";
import { checkDkimStart, dkimFinishOperation, dkimStartOperation, generateDkimKey, systemTxt } from "../ops/rotate-dkim";

// Pulumi's runtime loads only once a plan is needed: a refusal or the missing-CLI line stays quick.
const planStack: typeof import("../plan/run").planStack = (...args) => (require("../plan/run") as typeof import("../plan/run")).planStack(...args);

type RotateOptions = OpsOptions & { all?: boolean; finish?: boolean; overlapDays?: string; retainDays?: string };

/** `ezorg rotate credential <customer...>` (or `--all`), and `--finish` to end the overlap. */
export async function rotateCredentialCommand(names: string[], opts: RotateOptions): Promise<void> {
  await execute("rotate credential", opts, async (ctx) => {
    const now = new Date();
    const finish = Boolean(opts.finish);
    const overlapDays = wholeNumber(opts.overlapDays ?? "14", "--overlap-days");
    const qualifies = finish
      ? (c: Customer) => Boolean(c.credential?.previous && overlapEnded(c.credential.previous.until, now))
      : (c: Customer) => Boolean(c.credential && !c.credential.previous && hasSecureCredential(c));
    const sel = select(ctx, names, opts, finish ? "finish-credential" : "rotate-credential", "npx ezorg rotate credential", qualifies);
    if (sel.slugs.length === 0) return nothingToDo(sel.id, "credential rotation");
    const customers = sel.slugs.map((s) => Descriptor.read(ctx.customersDir, s).customer);
    const ours = (slug: string) => (ctx.resume ? (sel.earlier?.[`newHash:${slug}`] as string | undefined) : undefined);
    preflight(customers, finish ? (c) => checkFinish(c, now) : (c) => checkStart(c, ours(c.slug)));
    if (!finish && !ctx.dryRun && !(await which("openssl", { nothrow: true }))) throw new PreflightError(["openssl (1.1.1 or later) hashes the new password and is not installed here; install it"]);

    const stacks = [...new Set(customers.map(platformStackOf))];
    if (stacks.length > 1) throw new PreflightError([`the customers are on the platform stacks ${stacks.join(" and ")}; rotate each platform's customers separately`]);
    const model = loadStack(stacks[0], ctx.load);
    const plan = await planStack(stacks[0], ctx.load);
    const r = { id: sel.id, resumeHint: sel.hint, slugs: sel.slugs, platform: model.platform, rollout: rolloutPhase({ stack: stacks[0], platform: model.platform, resources: plan.resources, runner: ctx.runner }) };
    const deps = {
      runner: ctx.runner,
      journal: ctx.journal(sel.id),
      customersDir: ctx.customersDir,
      now: () => new Date(),
      newPassword: randomPassword,
      hash: (p: string) => sha512Crypt(p),
      verify: verifySha512Crypt,
      tell: outbox(ctx.root),
      reveal: revealOnce(ctx),
    };
    const op = finish ? credentialFinishOperation(r, deps) : credentialStartOperation({ ...r, overlapDays }, deps);
    return { ...op, seed: { customers: sel.slugs } };
  });
}

/** `ezorg rotate dkim <customer...>` (or `--all`), and `--finish` to remove the old selector. */
export async function rotateDkimCommand(names: string[], opts: RotateOptions): Promise<void> {
  await execute("rotate dkim", opts, async (ctx) => {
    const now = new Date();
    const finish = Boolean(opts.finish);
    const retainDays = wholeNumber(opts.retainDays ?? "7", "--retain-days");
    const qualifies = finish
      ? (c: Customer) => Boolean(c.dkim?.previous && overlapEnded(c.dkim.previous.until, now))
      : (c: Customer) => Boolean(c.dkim && !c.dkim.previous);
    const sel = select(ctx, names, opts, finish ? "finish-dkim" : "rotate-dkim", "npx ezorg rotate dkim", qualifies);
    if (sel.slugs.length === 0) return nothingToDo(sel.id, "DKIM rotation");
    const customers = sel.slugs.map((s) => Descriptor.read(ctx.customersDir, s).customer);
    if (!finish) preflight(customers, (c) => checkDkimStart(c, ctx.resume ? (sel.earlier?.[`selector:${c.slug}`] as string | undefined) : undefined));
    const deps = {
      runner: ctx.runner,
      journal: ctx.journal(sel.id),
      customersDir: ctx.customersDir,
      now: () => new Date(),
      sleep: (ms: number) => {
        ctx.reporter.line(`  waiting ${Math.ceil(ms / 60_000)} min for the DNS TTL, until ${new Date(Date.now() + ms).toISOString()}; an interruption is safe: --resume waits only the rest`);
        return new Promise<void>((resolve) => setTimeout(resolve, ms));
      },
      generateKey: generateDkimKey,
      lookupTxt: systemTxt,
      tell: outbox(ctx.root),
    };
    const r = { id: sel.id, resumeHint: sel.hint, slugs: sel.slugs, retainDays };
    const op = finish ? dkimFinishOperation(r, deps) : dkimStartOperation(r, deps);
    return { ...op, seed: { customers: sel.slugs } };
  });
}

type CertificateOptions = OpsOptions & { stack: string; relayCert?: string; relayKey?: string; secureNodeCert?: string; secureNodeKey?: string };

/** `ezorg rotate certificate --stack <platform>` with a new certificate and key per service. */
export async function rotateCertificateCommand(opts: CertificateOptions): Promise<void> {
  await execute("rotate certificate", opts, async (ctx) => {
    const model = loadStack(opts.stack, ctx.load);
    if (model.kind !== "platform") throw new PreflightError([`--stack: got ${opts.stack}; certificates belong to a platform stack such as prod`]);
    const pairs: Array<[TlsService, string | undefined, string | undefined, string]> = [
      ["relay", opts.relayCert, opts.relayKey, "--relay-cert and --relay-key"],
      ["secureNode", opts.secureNodeCert, opts.secureNodeKey, "--secure-node-cert and --secure-node-key"],
    ];
    const problems: string[] = [];
    const checked: CheckedCertificate[] = [];
    for (const [service, cert, key, flags] of pairs) {
      if (!cert && !key) continue;
      if (!cert || !key) {
        problems.push(`give ${flags} together`);
        continue;
      }
      try {
        const read = (f: string) => readFileSync(path.resolve(f), "utf8");
        checked.push(checkCertificate({ service, certFile: cert, certPem: read(cert), keyPem: read(key) }, model.platform, new Date()));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length === 0 && checked.length === 0) problems.push("give --relay-cert and --relay-key, or --secure-node-cert and --secure-node-key, or both pairs");
    if (problems.length > 0) throw new PreflightError(problems);

    const plan = await planStack(opts.stack, ctx.load);
    const files = pairs.flatMap(([, c, k, flags]) => (c && k ? [`${flags.split(" and ")[0]} ${c} ${flags.split(" and ")[1]} ${k}`] : []));
    return certificateOperation({
      stack: opts.stack,
      certificates: checked,
      runner: ctx.runner,
      resumeHint: `npx ezorg rotate certificate --stack ${opts.stack} ${files.join(" ")} --resume`,
      rollout: (expect) => rolloutPhase({ stack: opts.stack, platform: model.platform, resources: plan.resources, runner: ctx.runner, expect }),
    });
  });
}

interface Selection {
  slugs: string[];
  id: string;
  hint: string;
  /** Data of the earlier run's journal, for a resume. */
  earlier?: Record<string, unknown>;
}

/**
 * The customers named, or with --all those that qualify. A resumed --all takes the list
 * its journal recorded: the descriptors it already changed no longer qualify.
 */
function select(ctx: OpsContext, names: string[], opts: RotateOptions, prefix: string, command: string, qualifies: (c: Customer) => boolean): Selection {
  if (opts.all && names.length > 0) throw new PreflightError(["name customers or give --all, not both"]);
  const dir = ctx.customersDir;
  const slugs = opts.all ? allCustomers(dir) : namedCustomers(names, dir);
  const id = `${prefix}-${selectionId(slugs, opts.all ? "all" : "")}`;
  const earlier = ctx.journal(id).previous?.data;
  const hint = `${command} ${opts.all ? "--all" : slugs.join(" ")}${opts.finish ? " --finish" : ""} --resume`;
  if (!opts.all) return { slugs, id, hint, earlier };
  const recorded = ctx.resume ? (earlier?.customers as string[] | undefined) : undefined;
  return { slugs: recorded ?? slugs.filter((s) => qualifies(Descriptor.read(dir, s).customer)), id, hint, earlier };
}

function nothingToDo(id: string, what: string): Operation {
  return { id, title: `${what}: no customer qualifies`, resumeHint: "", phases: [] };
}

/** On a terminal the password is shown once; elsewhere (a log, a CI job) never. */
function revealOnce(ctx: OpsContext) {
  return (slug: string, username: string, password: string): string => {
    if (!process.stdout.isTTY || ctx.dryRun) return `password not shown (output is not a terminal): read it with \`pulumi config get ${SMTP_PASSWORD_KEY} --stack customer-${slug}\``;
    ctx.reporter.line(`  new password of ${username}, shown once, give it by telephone: ${password}`);
    return "password shown once on this terminal";
  };
}

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new PreflightError([`${flag}: got ${JSON.stringify(value)}; give a whole number of days, at least 1`]);
  return n;
}
