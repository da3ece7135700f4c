import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router-dom";
import { signUp } from "../../api/auth";
import { ErrorBanner, TextInput, fieldError } from "../../components/forms";
import { useAuth } from "../../lib/useAuth";

export default function SignUpPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [form, setForm] = useState({ email: "", password: "", name: "" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (auth.status === "signedIn") return <Navigate to="/" replace />;

  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signUp({ ...form, timezone: "Asia/Kolkata" });
      navigate("/", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <h1>Create your account</h1>
      <form onSubmit={submit} className="stack" aria-label="Sign up">
        <ErrorBanner error={error} />
        <TextInput
          label="Name"
          autoComplete="name"
          value={form.name}
          onChange={set("name")}
          error={fieldError(error, "name")}
        />
        <TextInput
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={form.email}
          onChange={set("email")}
          error={fieldError(error, "email")}
        />
        <TextInput
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={form.password}
          onChange={set("password")}
          error={fieldError(error, "password")}
          hint="At least 8 characters, not a common password."
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Sign up"}
        </button>
      </form>
      <p>
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </div>
  );
}
