import { PageHeader } from "../../components/Layout";

/** Parameter sweeps list and form: owned by the sweeps work, replaced there. */
export default function SweepsPage() {
  return <PageHeader title="Sweeps" />;
}
