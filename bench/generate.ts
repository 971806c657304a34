import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT } from "../components/config/load";
import { Customer } from "../components/config/model";

/**
 * Writes `count` customer descriptors into `dir`, each a copy of the live example with
 * its own slug, two domains and its own login, so the registry is valid.
 */
export function generateCustomers(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  const template = parse(readFileSync(path.join(PROJECT_ROOT, "stacks/customers/zorggroep-noord.yaml"), "utf8")) as Customer;
  for (let i = 1; i <= count; i++) {
    const slug = `org-${String(i).padStart(5, "0")}`;
    const domains = [`${slug}.example.nl`, `${slug}-zorg.example.nl`];
    const customer: Customer = {
      ...template,
      slug,
      organisation: `Organisation ${i}`,
      domains,
      dns: {
        ...template.dns,
        zones: Object.fromEntries(domains.map((d, j) => [d, (i * 2 + j).toString(16).padStart(32, "0")])),
        existingSpf: { [domains[1]]: "v=spf1 mx include:spf.mailhost.example.net ~all" },
      },
      credential: { ...template.credential!, username: slug },
    };
    writeFileSync(path.join(dir, `${slug}.yaml`), stringify(customer));
  }
}
