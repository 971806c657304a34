// Entry point for the Pulumi CLI: `pulumi preview --stack <name>` runs this program.
import { main } from "./components/program";

export = async () => main();
