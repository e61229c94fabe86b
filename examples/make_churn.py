"""Regenerate examples/churn.csv: a synthetic subscription-churn table.

It mixes the column kinds a real export has (an identifier, numbers with
missing values, categories, a date, a yes/no flag) and a target with a
non-linear dependence on them. Run: python examples/make_churn.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

N_ROWS = 2500
SEED = 7


def make(n: int = N_ROWS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], n, p=[0.55, 0.25, 0.2])
    internet = rng.choice(["fiber", "dsl", "none"], n, p=[0.45, 0.35, 0.2])
    payment = rng.choice(["card", "bank-transfer", "electronic-check", "mailed-check"], n)
    monthly = np.round(20 + 50 * (internet == "fiber") + 25 * (internet == "dsl") + rng.normal(0, 8, n), 2)
    support_calls = rng.poisson(1.2, n)
    senior = rng.random(n) < 0.16
    signup = pd.Timestamp("2024-12-31") - pd.to_timedelta(tenure * 30, unit="D")
    logit = (
        -1.2
        + 1.4 * (contract == "month-to-month")
        - 0.9 * (contract == "two-year")
        + 0.8 * (internet == "fiber")
        + 0.6 * (payment == "electronic-check")
        - 0.045 * tenure
        + 0.35 * np.maximum(support_calls - 1, 0) ** 1.3
        + 0.4 * senior
    )
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2)
    total[rng.random(n) < 0.03] = np.nan  # as in real billing exports
    return pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(n)],
            "signup_date": signup.strftime("%Y-%m-%d"),
            "tenure_months": tenure,
            "contract": contract,
            "internet_service": internet,
            "payment_method": payment,
            "monthly_charges": monthly,
            "total_charges": total,
            "support_calls": support_calls,
            "senior_citizen": np.where(senior, "yes", "no"),
            "churned": np.where(churned, "yes", "no"),
        }
    )


if __name__ == "__main__":
    out = Path(__file__).with_name("churn.csv")
    make().to_csv(out, index=False)
    print(f"wrote {out}")
