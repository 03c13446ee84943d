"""어텐션 강좌의 코드: 페이지의 코드 블록, 그림, 실습 노트북이 모두 여기서 나온다.

레슨마다 페이지 이름을 딴 모듈 하나(attention_intuition ↔ 01_attention_intuition.md),
여러 레슨이 함께 쓰는 함수는 core, 그림 선언과 렌더링은 figures.
"""
