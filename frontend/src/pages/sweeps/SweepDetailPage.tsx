import { useParams } from "react-router-dom";
import { PageHeader } from "../../components/Layout";

/** One sweep: progress, heatmap, table. Owned by the sweeps work, replaced there. */
export default function SweepDetailPage() {
  const { id } = useParams();
  return <PageHeader title={`Sweep ${id ?? ""}`} />;
}
