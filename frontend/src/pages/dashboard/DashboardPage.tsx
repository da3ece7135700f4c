import { PageHeader } from "../../components/Layout";
import { useUser } from "../../lib/useAuth";

export default function DashboardPage() {
  const user = useUser();
  return <PageHeader title={`Welcome${user.name ? `, ${user.name}` : ""}`} />;
}
