/** lightweight-charts (Apache-2.0) asks for TradingView's attribution beside its charts. */
export function Attribution() {
  return (
    <p className="attribution">
      Charts by{" "}
      <a href="https://www.tradingview.com/" target="_blank" rel="noreferrer noopener">
        TradingView
      </a>{" "}
      Lightweight Charts™.
    </p>
  );
}
