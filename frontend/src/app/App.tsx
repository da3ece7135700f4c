import { useEffect } from "react";
import { RouterProvider } from "react-router-dom";
import { restoreSession, subscribeAuth } from "../api/auth";
import { startSocket } from "../api/ws";
import { setDisplayZone } from "../lib/time";
import { makeRouter } from "./routes";

const router = makeRouter();

export function App() {
  useEffect(() => {
    const unzone = subscribeAuth((s) =>
      setDisplayZone(s.status === "signedIn" ? s.user.timezone : null),
    );
    const stopSocket = startSocket();
    void restoreSession();
    return () => {
      unzone();
      stopSocket();
    };
  }, []);
  return <RouterProvider router={router} />;
}
