"""Agent and chain libraries against a real `stackctl serve` with the fake provider: the openai-agents SDK
(`Runner.run` with an `OpenAIConversationsSession`, a function tool and an `output_type`) and
langchain-openai (`use_responses_api=True`, `with_structured_output`, and its default chat completions).

Both libraries are in the `test` extra; a checkout without them skips this module.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import BaseModel

from tests.e2e.test_serve_responses import MODEL, Stack, _chat_posts
from tests.e2e.test_serve_responses import stack as stack  # noqa: PLC0414  (the module's server)

openai = pytest.importorskip("openai")
agents = pytest.importorskip("agents")
langchain_openai = pytest.importorskip("langchain_openai")

pytestmark = pytest.mark.e2e


class Forecast(BaseModel):
    city: str
    summary: str


class Trip(BaseModel):
    city: str
    days: int


def test_agents_runner_with_a_session_a_tool_and_an_output_type(stack: Stack) -> None:
    from agents import (
        Agent,
        OpenAIConversationsSession,
        OpenAIResponsesModel,
        Runner,
        function_tool,
        set_tracing_disabled,
    )

    set_tracing_disabled(True)
    calls: list[str] = []

    @function_tool
    def weather(city: str) -> str:
        """The weather in a city."""
        calls.append(city)
        return f"sunny in {city}"

    async def scenario() -> tuple[Any, list[Any]]:
        client = openai.AsyncOpenAI(base_url=stack.server.base_url, api_key="x", max_retries=0)
        model = OpenAIResponsesModel(model=MODEL, openai_client=client)
        agent = Agent(
            name="forecaster",
            instructions="Use the tool.",
            tools=[weather],
            model=model,
            output_type=Forecast,
        )
        session = OpenAIConversationsSession(openai_client=client)
        result = await Runner.run(agent, "Paris", session=session)
        items = await session.get_items()
        await client.close()
        return result, items

    result, items = asyncio.run(scenario())
    assert calls == ["Paris"]
    assert isinstance(result.final_output, Forecast)
    assert result.final_output.summary.startswith("tool said: sunny in Paris")
    types = [item.get("type", "message") for item in items]
    assert types[0] == "message" and "function_call" in types and "function_call_output" in types
    posts = _chat_posts(stack.fake)[-2:]
    assert posts[0]["tools"][0]["function"]["name"] == "weather"
    assert posts[1]["response_format"]["type"] == "json_schema"


def test_langchain_responses_api_with_structured_output(stack: Stack) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(
        model=MODEL, base_url=stack.server.base_url, api_key="x", use_responses_api=True, max_retries=0
    )
    assert "echo: hello" in str(llm.invoke("hello").content)
    trip = llm.with_structured_output(Trip).invoke("a trip to Rome")
    assert isinstance(trip, Trip) and trip.days == 1
    sent = _chat_posts(stack.fake)[-1]
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["city", "days"]


def test_langchain_chat_completions_by_default(stack: Stack) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, base_url=stack.server.base_url, api_key="x", max_retries=0)
    assert llm.invoke("plain chat").content == "echo: plain chat"
    streamed = "".join(str(chunk.content) for chunk in llm.stream("streamed chat"))
    assert streamed == "echo: streamed chat"
    trip = llm.with_structured_output(Trip).invoke("a trip to Oslo")
    assert isinstance(trip, Trip)
    assert json.loads(json.dumps(trip.model_dump())) == {"city": "echo: a trip to Oslo", "days": 1}
