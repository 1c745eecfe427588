"""The default taxonomy (docs/taxonomy.md). Editors change it in the admin afterwards."""

from django.db import migrations

TAXONOMY = [
    (
        "llm",
        "LLM",
        "대규모 언어 모델",
        "🧠",
        "#4e79a7",
        "Large language models as the object of study: pretraining and scaling of LMs, instruction "
        "tuning and RLHF/DPO of LMs, reasoning and chain-of-thought, prompting, in-context learning, "
        "retrieval-augmented generation, LLM agents and tool use, LLM evaluation and benchmarks, "
        "hallucination, code generation with LLMs.",
    ),
    (
        "nlp",
        "Natural Language Processing",
        "자연어 처리",
        "🎠",
        "#f28e2b",
        "Language tasks and resources where an LLM is not the point: machine translation, parsing, "
        "information extraction, sentiment, summarisation, dialogue systems, linguistic analysis, "
        "low-resource languages, text datasets, computational social science on text.",
    ),
    (
        "computer-vision",
        "Computer Vision",
        "컴퓨터 비전",
        "🪄",
        "#e15759",
        "Images, video and 3D without language as a core part: recognition, detection, "
        "segmentation, tracking, depth, 3D reconstruction and generation, NeRF/Gaussian splatting, "
        "image and video generation or editing (diffusion models for pixels), medical imaging "
        "methods, remote sensing imagery, person/pose/activity recognition from sensors. "
        "Perception for driving (3D detection, lanes, occupancy, LiDAR) belongs here.",
    ),
    (
        "multimodal",
        "Multimodal",
        "멀티모달",
        "❄️",
        "#76b7b2",
        "Two or more modalities joined as the core contribution: vision-language models, "
        "text-to-image/video with language understanding as the focus, unified understanding and "
        "generation models, image captioning and VQA, audio-visual or video-language models, "
        "multimodal datasets. A vision model whose core mechanism is language (text prompts, "
        "captions, CLIP-style alignment) belongs here.",
    ),
    (
        "audio",
        "Audio",
        "오디오·음성",
        "🎧",
        "#59a14f",
        "Speech recognition and synthesis, speaker and audio analysis, music, sound generation, "
        "spoken language models.",
    ),
    (
        "reinforcement-learning",
        "Reinforcement Learning",
        "강화 학습",
        "🥳",
        "#edc948",
        "RL algorithms and theory, bandits, multi-agent RL, offline RL, policy optimisation, reward "
        "modelling outside LLM alignment, game playing. RLHF and RL for LLM reasoning go to LLM.",
    ),
    (
        "robotics",
        "Robotics",
        "로보틱스",
        "🤖",
        "#b07aa1",
        "Robots and embodied agents: manipulation, locomotion, navigation, vision-language-action "
        "models, autonomous driving policies, planning and control, drones, sim-to-real, motion "
        "planning.",
    ),
    (
        "model-training",
        "Model training technique",
        "모델 학습 기법",
        "🌅",
        "#ff9da7",
        "How models learn, in general: optimisers, learning theory and generalisation, training "
        "dynamics, regularisation, architectures studied in general, self-supervised and "
        "representation learning, continual/federated/meta learning, distribution shift and OOD, "
        "data selection and augmentation, distillation for accuracy, Bayesian deep learning, "
        "scientific ML methods. A general learning method evaluated across domains belongs here.",
    ),
    (
        "inference-acceleration",
        "Inference acceleration",
        "추론 가속",
        "🪐",
        "#9c755f",
        "Making models cheaper or faster to run: quantisation, pruning, sparsity, efficient "
        "attention and KV-cache methods, speculative decoding, serving systems, compilers and "
        "kernels, hardware accelerators, edge/on-device deployment, spiking or neuromorphic "
        "hardware. Efficiency as the headline wins, even for an LLM.",
    ),
    (
        "safety-ethics",
        "AI Safety & Ethics",
        "AI 안전·윤리",
        "🛡️",
        "#bab0ac",
        "Alignment and safety of AI systems, adversarial attacks and robustness, jailbreaks, "
        "privacy and membership inference, watermarking, fairness and bias, interpretability and "
        "explainability, uncertainty and reliability of outputs, deepfake and AI-text detection, "
        "AI governance, policy and societal impact, security uses of AI. Wins over every other "
        "category when safety is the contribution.",
    ),
    (
        "graphs-tabular",
        "Graphs, Tabular & Time Series",
        "그래프·표·시계열",
        "📈",
        "#17becf",
        "Graph neural networks and graph learning, knowledge graphs as graphs, tabular data, "
        "time-series forecasting and anomaly detection, spatio-temporal data, causal discovery on "
        "structured data.",
    ),
    (
        "information-retrieval",
        "Information Retrieval & Recommendation",
        "정보 검색·추천",
        "🔎",
        "#8c564b",
        "Search and ranking, recommender systems, retrieval models and dense retrieval (when not "
        "framed as RAG for an LLM), click models, query understanding.",
    ),
    (
        "ai-for-science",
        "AI for Science & Health",
        "과학·의료 AI",
        "🧬",
        "#2ca02c",
        "AI applied to a scientific or clinical domain where the domain result is the point: "
        "biology, chemistry, materials, physics, climate, medicine and clinical NLP outcomes, drug "
        "discovery, quantum computing and quantum ML. A general method merely evaluated on such "
        "data goes by its method.",
    ),
    (
        "other",
        "Other",
        "기타",
        "📎",
        "#7f7f7f",
        "Anything that fits none of the above: pure mathematics, logic and formal methods, "
        "classical planning and search, HCI studies, education, philosophy of AI, surveys spanning "
        "many areas.",
    ),
]


def create_taxonomy(apps, schema_editor):
    Category = apps.get_model("papers", "Category")
    for order, (slug, name, name_ko, emoji, color, description) in enumerate(TAXONOMY, start=1):
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_ko": name_ko,
                "emoji": emoji,
                "color": color,
                "description": description,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]
    operations = [migrations.RunPython(create_taxonomy, migrations.RunPython.noop)]
