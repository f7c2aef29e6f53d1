import pytest

from pipeline.errors import ConfigError
from pipeline.settings import load_settings


def test_flags_then_environment_then_file_then_defaults(tmp_path):
    (tmp_path / "bisum.toml").write_text('model = "from-file"\nconcurrency = 3\nrpm = 100\n')
    env = {"BISUM_MODEL": "from-env", "BISUM_CONCURRENCY": "5"}
    s = load_settings({"model": "from-flag"}, root=tmp_path, env=env)
    assert (s.model, s.concurrency, s.rpm, s.tpm) == ("from-flag", 5, 100, None)
    assert load_settings({}, root=tmp_path, env=env).model == "from-env"
    assert load_settings({}, root=tmp_path, env={}).model == "from-file"
    assert load_settings({}, root=tmp_path / "elsewhere", env={}).model == "gpt-4.1-mini"


def test_pyproject_table_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.bisum]\nscript = "zh-Hant"\n')
    assert load_settings({}, root=tmp_path, env={}).script == "zh-Hant"


def test_openai_environment_is_honoured(tmp_path):
    s = load_settings(
        {}, root=tmp_path, env={"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://h/v1"}
    )
    assert s.api_key.get_secret_value() == "sk-x" and s.base_url == "http://h/v1"


def test_unknown_settings_are_refused_with_a_suggestion(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'concurrency'"):
        load_settings({}, root=tmp_path, env={"BISUM_CONCURENCY": "3"})
    (tmp_path / "bisum.toml").write_text('modle = "x"\n')
    with pytest.raises(ConfigError, match="did you mean 'model'"):
        load_settings({}, root=tmp_path, env={})


def test_a_key_in_the_config_file_is_refused(tmp_path):
    (tmp_path / "bisum.toml").write_text('api_key = "sk-secret"\n')
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_settings({}, root=tmp_path, env={})


def test_the_key_is_never_shown(tmp_path):
    s = load_settings({}, root=tmp_path, env={"OPENAI_API_KEY": "sk-very-secret-value"})
    assert "sk-very-secret-value" not in repr(s) and "sk-very-secret-value" not in str(s.public())
    assert s.public()["api_key"] == "set"


def test_invalid_values_name_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="invalid setting chunk_tokens=10"):
        load_settings({"chunk_tokens": 10}, root=tmp_path, env={})


def test_relative_paths_are_relative_to_the_project_root(tmp_path):
    s = load_settings({}, root=tmp_path, env={})
    assert s.outputs == tmp_path / "outputs" and s.state_dir == tmp_path / ".bisum"
