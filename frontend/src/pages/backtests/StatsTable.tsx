import { STAT_LABELS, statValue } from "../../lib/stats";
import { formatDateTime } from "../../lib/time";

export function StatsTable({ stats }: { stats: Record<string, unknown> | null | undefined }) {
  return (
    <div className="table-wrap">
      <table aria-label="Statistics">
        <tbody>
          {STAT_LABELS.filter(([k]) => stats && k in stats).map(([key, label]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              <td className="num">
                {key === "start" || key === "end"
                  ? formatDateTime(statValue(stats, key))
                  : statValue(stats, key)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
