"""Answer backends, one module each: extractive, local (llama.cpp), hosted (OpenAI API)."""
