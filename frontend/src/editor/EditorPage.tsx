import { useParams } from "react-router-dom";
import { PageHeader } from "../components/Layout";

/** The strategy editor (React Flow canvas): owned by the editor work, replaced there. */
export default function EditorPage() {
  const { id } = useParams();
  return <PageHeader title={id ? `Strategy ${id}` : "New strategy"} />;
}
