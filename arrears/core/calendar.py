"""Business days: Monday to Friday, except the public holidays of a country or subdivision.

`GB` has only the holidays common to the whole United Kingdom; `GB-ENG` adds England's (Easter
Monday); `DE-BY` adds Bavaria's. Holidays come from the `holidays` package.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


class BusinessCalendar:
    def __init__(self, country: str):
        self.country = country
        code, _, subdivision = country.partition("-")
        try:
            self._holidays = holidays.country_holidays(
                code, subdiv=subdivision or None, language="en_US"
            )
        except NotImplementedError:
            self._holidays = (
                holidays.HolidayBase()
            )  # a country the package does not know: weekends only
        except ValueError:  # no English names for this country
            self._holidays = holidays.country_holidays(code, subdiv=subdivision or None)
        self._business: dict[date, bool] = {}

    def holiday(self, day: date) -> str | None:
        """The name of the public holiday on `day`, if it is one."""
        return self._holidays.get(day)

    def is_business_day(self, day: date) -> bool:
        known = self._business.get(day)
        if known is None:
            known = self._business[day] = day.weekday() < 5 and day not in self._holidays
        return known

    def on_or_after(self, day: date) -> date:
        """The first business day on or after `day`."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def why_not(self, day: date) -> str:
        """Why `day` is not a business day (for explanations)."""
        name = self.holiday(day)
        if name:
            return f"{day} is a public holiday in {self.country} ({name})"
        return f"{day} is a {day:%A}"


@lru_cache(maxsize=512)
def calendar_for(country: str) -> BusinessCalendar:
    return BusinessCalendar(country)
