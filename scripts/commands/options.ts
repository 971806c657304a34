import * as path from "node:path";
import { LoadOptions } from "../../components/config/load";

/** Options every command shares. */
export interface CommonOptions {
  root?: string;
  customersDir?: string;
}

export function loadOptions(opts: CommonOptions): LoadOptions {
  return {
    root: opts.root ? path.resolve(opts.root) : undefined,
    customersDir: opts.customersDir ? path.resolve(opts.customersDir) : undefined,
  };
}
