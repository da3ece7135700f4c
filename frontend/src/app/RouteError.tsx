import { Link, isRouteErrorResponse, useRouteError } from "react-router-dom";
import { errorText } from "../api/errors";

/** A page that threw: say what failed instead of a blank screen. */
export function RouteError() {
  const err = useRouteError();
  const text = isRouteErrorResponse(err) ? `${err.status} ${err.statusText}` : errorText(err);
  return (
    <div className="auth-page" role="alert">
      <h1>Something went wrong</h1>
      <p>{text}</p>
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
    </div>
  );
}
